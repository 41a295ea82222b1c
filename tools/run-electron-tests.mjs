#!/usr/bin/env node
// The extension test suite under @vscode/test-electron: downloads a VS Code build (needs internet; on Linux
// also a display, e.g. `xvfb-run -a npm run test:electron`) and runs dist/test/suite/index.js in it, with the
// fixture workspace. The same suite runs offline in code-server through tools/run-ext-tests.mjs.
// usage: node tools/run-electron-tests.mjs [--version stable|insiders|1.90.0]
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values } = parseArgs({ options: { version: { type: 'string', default: 'stable' } } });
const out = path.join(ROOT, '.test-out', 'electron');
mkdirSync(out, { recursive: true });
const fixtures = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-fixtures.ts'], { cwd: ROOT, stdio: 'inherit' });
if (fixtures.status !== 0) process.exit(1);
try {
  const code = await runTests({
    version: values.version,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'dist/test/suite/index.js'),
    launchArgs: [path.join(ROOT, 'test/fixture'), '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
    extensionTestsEnv: { EXT_TEST_RESULTS: path.join(out, 'results.json') },
  });
  process.exit(code);
} catch (e) {
  console.error(`run-electron-tests: ${e instanceof Error ? e.message : e}`);
  console.error('(@vscode/test-electron downloads VS Code: offline, use `npm run test:ext` (code-server) instead)');
  process.exit(1);
}

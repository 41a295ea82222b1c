/**
 * The built CLI bundle (`dist/cli.js`, what `bin.neurflow` and the README run) starts and answers. The other CLI
 * tests import the command modules directly; this one guards the bundle itself (shebang, externals, startup).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../../helpers/shared';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
}

test('dist/cli.js lists its commands and reads the demo model', (t) => {
  if (!existsSync(CLI)) {
    if (process.env.CI === 'true') throw new Error(`${CLI} missing: npm test builds it first`);
    t.skip('dist/cli.js not built (npm run build)');
    return;
  }
  const help = cli(['--help']);
  assert.equal(help.status, 0, help.stderr);
  for (const name of ['layers', 'attribute', 'predict', 'analyse', 'debug', 'fidelity', 'demo']) {
    assert.match(help.stdout, new RegExp(`^\\s+${name}\\s`, 'm'), `--help lists ${name}`);
  }
  const layers = cli(['layers', path.join(REPO_ROOT, 'demo', 'model', 'shortcut-resnet.onnx'), '--json']);
  assert.equal(layers.status, 0, layers.stderr);
  const parsed = JSON.parse(layers.stdout) as { layers: { name: string }[] };
  assert.deepEqual(
    parsed.layers.map((l) => l.name),
    ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'fc'],
  );
  const bad = cli(['layers', path.join(REPO_ROOT, 'demo', 'README.md')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /README\.md: not an ONNX model/);
  const version = cli(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^neurflow \d+\.\d+\.\d+\n$/);
  const none = cli([]);
  assert.equal(none.status, 2, 'no command is a usage error');
  assert.match(none.stderr, /^usage: neurflow <command>/);
  const badFlag = cli(['layers', '--no-such-flag']);
  assert.equal(badFlag.status, 2, badFlag.stderr);
});

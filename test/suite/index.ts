/**
 * The extension test suite entry (`extensionTestsPath`): runs every `*.test.js` beside it with mocha inside
 * the extension host. The same module serves @vscode/test-electron, the code-server harness (run A:
 * extensionDevelopmentPath) and the test-driver extension (run B: the installed .vsix).
 *   $EXT_TEST_RESULTS   where to write {passed, failed, results[]} (read by tools/run-ext-tests.mjs)
 *   $EXT_TEST_FILES     when set, only the test files whose name contains one of its comma-separated parts
 *                       (e.g. `debug-torch`), for a quicker run while developing
 *   $EXT_TEST_SHOT_DIR  when set, the suite writes `ready` there after the tests and waits (<= 60 s) for `done`,
 *                       so the harness can screenshot the workbench with the panel open
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

interface TestResult {
  title: string;
  state: 'passed' | 'failed';
  err?: string;
  ms?: number;
}

async function screenshotPause(): Promise<void> {
  const dir = process.env.EXT_TEST_SHOT_DIR;
  if (!dir) return;
  fs.writeFileSync(path.join(dir, 'ready'), '');
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(path.join(dir, 'done')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000 });
  const only = process.env.EXT_TEST_FILES?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const f of fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort()) {
    if (!only || only.some((part) => f.includes(part))) mocha.addFile(path.join(__dirname, f));
  }
  const results: TestResult[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = results.filter((r) => r.state === 'passed').length;
      if (process.env.EXT_TEST_RESULTS) {
        fs.writeFileSync(process.env.EXT_TEST_RESULTS, JSON.stringify({ passed, failed: failures, results }, null, 1));
      }
      void screenshotPause().then(() => (failures > 0 ? reject(new Error(`${failures} extension tests failed`)) : resolve()));
    });
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', ms: t.duration }));
    runner.on('fail', (t, e) => results.push({ title: t.fullTitle(), state: 'failed', err: String((e as Error)?.stack ?? e) }));
  });
}

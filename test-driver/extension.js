// Test driver for run B (tools/run-ext-tests.mjs --vsix): once VS Code has started, it runs the mocha suite
// named by $EXT_TEST_SUITE (dist/test/suite/index.js of the checkout) against the *installed* NeurFlow
// extension, then writes the exit code to $EXT_TEST_RESULTS.exit. Outside test runs it does nothing.
// The extension host inherits the server's environment, where the harness sets these variables.
//
// It also stands in for the Python extension's debugger, which cannot be installed offline: debug sessions of
// type `debugpy` (what ms-python.debugpy contributes) run Debian's adapter, `/usr/bin/python3 -m debugpy.adapter`
// (apt package python3-debugpy). The Explain Batch tests start such sessions. Run A installs this folder too (for the
// stand-in only: the harness sets $EXT_TEST_SUITE only in run B, VS Code's own test runner runs the suite in run A).
const fs = require('node:fs');
const vscode = require('vscode');

exports.activate = async (context) => {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('debugpy', {
      createDebugAdapterDescriptor: () =>
        new vscode.DebugAdapterExecutable('/usr/bin/python3', ['-m', 'debugpy.adapter'], { env: { PYDEVD_DISABLE_FILE_VALIDATION: '1' } }),
    }),
  );
  const suite = process.env.EXT_TEST_SUITE;
  if (!suite) return;
  // Not awaited: activation must end now, or starting a debugpy session (which activates this extension on
  // onDebugResolve:debugpy) would wait for the whole suite to finish.
  setTimeout(() => void runSuite(suite), 0);
};

async function runSuite(suite) {
  let code = 0;
  try {
    await require(suite).run();
  } catch (e) {
    code = 1;
    console.error(e);
  }
  if (process.env.EXT_TEST_RESULTS) fs.writeFileSync(`${process.env.EXT_TEST_RESULTS}.exit`, String(code));
}

exports.deactivate = () => undefined;

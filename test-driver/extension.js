// Test driver for run B (tools/run-ext-tests.mjs --vsix): once VS Code has started, it runs the mocha suite
// named by $EXT_TEST_SUITE (dist/test/suite/index.js of the checkout) against the *installed* NeurFlow
// extension, then writes the exit code to $EXT_TEST_RESULTS.exit. Outside test runs it does nothing.
// The extension host inherits the server's environment, where the harness sets these variables.
const fs = require('node:fs');

exports.activate = async () => {
  const suite = process.env.EXT_TEST_SUITE;
  if (!suite) return;
  let code = 0;
  try {
    await require(suite).run();
  } catch (e) {
    code = 1;
    console.error(e);
  }
  if (process.env.EXT_TEST_RESULTS) fs.writeFileSync(`${process.env.EXT_TEST_RESULTS}.exit`, String(code));
};

exports.deactivate = () => undefined;

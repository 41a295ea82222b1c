#!/usr/bin/env node
// Makes a fresh machine ready for the three test layers, or stops within seconds saying exactly what to run.
// Run by `npm test` (and so by .ci/run) before anything else:
//   1. Node: the supported range (package.json engines.node).
//   2. Debian packages: Chromium (webview tests), libkrb5-dev + g++ + make + python3 (code-server's native
//      addons), debugpy + NumPy (Explain Batch tests), PyTorch + torchvision + onnx (the torchvision topologies).
//      Installed with apt-get as root or with passwordless sudo; otherwise the exact command is printed and
//      the tests stop (exit 1).
//   3. A VS Code for the extension tests: code-server + Node 24 from the npm registry, into .cache/.
//   4. The torchvision topologies the tests read (.cache/torchvision, scripts/export-torchvision.sh).
// Each step prints what it does; what is already there is skipped, so a second run takes well under a second.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const APT_PACKAGES = [
  'chromium',
  'libkrb5-dev',
  'g++',
  'make',
  'python3',
  'python3-debugpy',
  'python3-numpy',
  'python3-torch',
  'python3-torchvision',
  'python3-onnx',
];
const say = (msg) => console.log(`prepare-tests: ${msg}`);

function fail(msg) {
  console.error(`prepare-tests: ${msg}`);
  process.exit(1);
}

function checkNode() {
  const range = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node; // ">=20"
  const min = Number(/>=\s*(\d+)/.exec(range)?.[1] ?? 0);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < min) fail(`Node ${process.versions.node} is older than the supported ${range}: install Node ${min} or newer`);
}

/** Debian packages not installed (every one of them when this is not a Debian-like system). */
function missingPackages() {
  const format = ['$', '{Package} $', '{db:Status-Status}\n'].join('');
  const r = spawnSync('dpkg-query', ['-W', `-f=${format}`, ...APT_PACKAGES], { encoding: 'utf8' });
  if (r.error) return undefined; // no dpkg
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return APT_PACKAGES.filter((p) => !installed.has(p));
}

function canSudo() {
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

function installPackages() {
  const missing = missingPackages();
  if (missing === undefined) {
    // Not Debian: the layers check their own tools (Chromium, Python) and fail at once naming them.
    say(`no dpkg here: make sure these (or your system's equivalents) are installed: ${APT_PACKAGES.join(' ')}`);
    return;
  }
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const root = process.getuid?.() === 0;
  if (!root && !canSudo()) fail(`missing Debian packages: ${missing.join(' ')}\n  run: sudo sh -c '${command}'\n  then npm test again`);
  say(`installing Debian packages: ${missing.join(' ')} (about 2 minutes)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const sudo = root ? [] : ['sudo', '-n', '-E'];
  for (const args of [
    ['update', '-q'],
    ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', '--no-install-recommends', ...missing],
  ]) {
    const [cmd, ...rest] = [...sudo, 'apt-get', ...args];
    const r = spawnSync(cmd, rest, { stdio: 'inherit', env });
    if (r.status !== 0) fail(`apt-get ${args[0] === 'update' ? 'update' : 'install'} failed (exit ${r.status}); run it by hand: ${command}`);
  }
}

/** The environment of this npm run without npm's own variables: inner npm installs must not inherit them. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function installCodeServer() {
  const entry = path.join(ROOT, '.cache/code-server/node_modules/code-server/out/node/entry.js');
  if (existsSync(entry) && existsSync(path.join(ROOT, '.cache/code-server/node_modules/code-server/lib/vscode/node_modules'))) return;
  say('installing a VS Code for the extension tests (code-server and Node 24 from the npm registry, about 4 minutes once)');
  const r = spawnSync('bash', [path.join(ROOT, 'tools/install-code-server.sh'), path.join(ROOT, '.cache')], { stdio: 'inherit', env: cleanEnv() });
  if (r.status !== 0) fail(`installing code-server failed (exit ${r.status}); run: bash tools/install-code-server.sh`);
}

function exportTorchvision() {
  const want = ['squeezenet1_1', 'tiny_vit', 'tiny_swin', 'tiny_convnext', 'tiny_densenet', 'tiny_regnet', 'tiny_shufflenet'];
  if (want.every((m) => existsSync(path.join(ROOT, '.cache/torchvision', `${m}.onnx`)))) return;
  say('exporting the torchvision topologies the tests read (random weights, about 40 s)');
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/export-torchvision.sh')], { stdio: 'inherit', env: cleanEnv() });
  if (r.status !== 0) fail(`the torchvision export failed (exit ${r.status}); run: bash scripts/export-torchvision.sh`);
}

const t0 = Date.now();
checkNode();
installPackages();
installCodeServer();
exportTorchvision();
say(`ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

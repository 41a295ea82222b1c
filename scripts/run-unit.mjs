#!/usr/bin/env node
// Runs the engine unit tests (node's test runner, TypeScript through tsx).
// Usage: node scripts/run-unit.mjs [path-filter ...]   e.g. `node scripts/run-unit.mjs grad/` runs test/unit/grad/**.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = walk(join(root, 'test', 'unit'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no unit test files match ${filters.join(' ') || 'test/unit/**/*.test.ts'}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
});
process.exit(r.status ?? 1);

/**
 * The architecture rules (scripts/boundaries.mjs, also enforced by the build) hold for every import of the sources,
 * and the rule itself refuses what it should.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
// @ts-expect-error: a plain .mjs module shared with the build script (no type declarations)
import { violation } from '../../scripts/boundaries.mjs';
import { REPO_ROOT } from '../helpers/shared';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') ? [p] : [];
  });
}

/** Every import and re-export of the product's sources (type-only ones too): [from, to], paths from the root. */
function imports(): [string, string][] {
  const out: [string, string][] = [];
  for (const file of [...sources(path.join(REPO_ROOT, 'src')), ...sources(path.join(REPO_ROOT, 'webview'))]) {
    const from = path.relative(REPO_ROOT, file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+'([^']+)'/gm)) {
      const spec = m[1];
      out.push([from, spec.startsWith('.') ? path.relative(REPO_ROOT, path.resolve(path.dirname(file), spec)) : spec]);
    }
  }
  return out;
}

test('no import crosses a boundary', () => {
  const all = imports();
  assert.ok(all.length > 300, `only ${all.length} imports read: the scan is broken`);
  assert.deepEqual(all.map(([from, to]) => violation(from, to)).filter(Boolean), []);
});

test('no import cycles, type-only imports included', () => {
  const edges = new Map<string, string[]>();
  for (const [from, to] of imports()) {
    if (!to.startsWith('src/') && !to.startsWith('webview/')) continue;
    const a = from.replace(/\.ts$/, '');
    edges.set(a, [...(edges.get(a) ?? []), to]);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m].join(' -> '));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of edges.keys()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});

test('the rules refuse worker <-> extension, engine -> vscode and stray onnxruntime-node imports', () => {
  assert.match(violation('src/worker/jobs/explainBatch.ts', 'src/extension/debug/npy-file') ?? '', /worker must not import extension/);
  assert.match(violation('src/extension/results/library.ts', 'src/worker/scans') ?? '', /extension must not import worker/);
  assert.match(violation('src/engine/analysis/job.ts', 'vscode') ?? '', /engine must run without VS Code/);
  assert.match(violation('src/engine/onnx/model.ts', 'onnxruntime-node') ?? '', /only src\/engine\/runtime\/ort\.ts/);
  assert.match(violation('webview/main.ts', 'src/worker/job') ?? '', /webview must not import worker/);
  assert.equal(violation('src/worker/jobs/analyse.ts', 'src/engine/data/scan-file'), undefined);
  assert.equal(violation('webview/views/circuit.ts', 'src/engine/analysis/circuit'), undefined);
});

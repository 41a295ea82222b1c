/**
 * Parameters are declared once (src/engine/params.ts): the VS Code settings in package.json agree with the
 * table, and no default is written down anywhere else in the sources (a second copy is how the CLI, the panel
 * and the engine drifted apart before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PARAMS, checkedValue, usageLine } from '../../src/engine/params';
import { REPO_ROOT } from '../helpers/shared';

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const settings: Record<string, { type: string; default: unknown; minimum?: number; maximum?: number }> = pkg.contributes.configuration.properties;

test('every parameter that is a setting is in package.json with its default and range', () => {
  for (const p of Object.values(PARAMS)) {
    const s = settings[`neurflow.${p.name}`];
    if (!p.setting) {
      assert.equal(s, undefined, `neurflow.${p.name} is not declared a setting`);
      continue;
    }
    assert.ok(s, `package.json lacks the setting neurflow.${p.name}`);
    assert.deepEqual([s.type, s.default, s.minimum, s.maximum], ['integer', p.default, p.min, p.max], `neurflow.${p.name}`);
  }
  // And no numeric setting that the table does not know.
  const known = new Set(Object.values(PARAMS).map((p) => `neurflow.${p.name}`));
  for (const [k, s] of Object.entries(settings)) if (s.type === 'integer' || s.type === 'number') assert.ok(known.has(k), `${k} is not in PARAMS`);
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mjs)$/.test(n) ? [p] : [];
  });
}

test('no parameter default is written anywhere but src/engine/params.ts', () => {
  const files = [...sources(path.join(REPO_ROOT, 'src')), ...sources(path.join(REPO_ROOT, 'webview'))].filter(
    (f) => !f.endsWith(path.join('engine', 'params.ts')),
  );
  const found: string[] = [];
  for (const p of Object.values(PARAMS)) {
    const d = String(p.default);
    const patterns = [
      new RegExp(`\\b${p.name}\\s*[:=]\\s*${d}\\b`), // tau: 16, igSteps = 50
      new RegExp(`\\b${p.name}\\b[^\\n;]{0,60}\\?\\?\\s*${d}\\b`), // params.tau ?? 16
      new RegExp(`--${p.flag}\\b[^\\n]{0,90}\\(default ${d}\\b`), // usage text
      new RegExp(`get(<[^>]*>)?\\('${p.name}'(, ${d})?\\)[^\\n]{0,20}\\b${d}\\b`), // c.get('tau'), 16
      new RegExp(`\\b${p.name}\\b[^\\n]{0,30}\\(default ${d}\\b`), // doc comments that restate it
    ];
    for (const f of files) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (patterns.some((re) => re.test(line))) found.push(`${path.relative(REPO_ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  assert.deepEqual(found, [], `parameter defaults written outside src/engine/params.ts:\n${found.join('\n')}`);
});

test('settings outside the range fall back to the default; usage lines name flag and default', () => {
  assert.equal(checkedValue('tau', 4), 4);
  assert.equal(checkedValue('tau', 0), PARAMS.tau.default);
  assert.equal(checkedValue('tau', 2.5), PARAMS.tau.default);
  assert.equal(checkedValue('threads', 0), 0);
  assert.equal(checkedValue('igSteps', 'many'), PARAMS.igSteps.default);
  assert.match(usageLine('igSteps'), /^ {2}--ig-steps N +Integrated Gradients steps .* \(default 50\)$/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findLabelIssues } from '../../../src/engine/data/confident';
import { classifySuspects, type AuditImage, type Occlusion } from '../../../src/engine/audit/classify';
import { seededRandom } from '../../../src/engine/util/random';

const NAMES = ['circle', 'square', 'star', 'triangle'];

function dataset(n: number, seed: number): { images: AuditImage[]; probs: Float64Array; labels: number[] } {
  const rng = seededRandom(seed);
  const images: AuditImage[] = [];
  const probs = new Float64Array(n * 4);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 4;
    const row = [rng(), rng(), rng(), rng()];
    row[label] += rng() < 0.8 ? 3 : 0; // mostly confident on the label, sometimes not
    const s = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      probs[i * 4 + j] = v / s;
    });
    const pred = row.indexOf(Math.max(...row));
    images.push({ path: `${NAMES[label]}/${i}.png`, label, pred, probs: row.map((v) => v / s) });
    labels.push(label);
  }
  return { images, probs, labels };
}

test("with no shortcut found, the label errors are confident learning's suspects in its order", () => {
  for (const seed of [1, 2, 3]) {
    const { images, probs, labels } = dataset(200, seed);
    const issues = findLabelIssues(probs, labels, 4);
    assert.ok(issues.suspects.length > 10);
    const r = classifySuspects(
      images,
      issues,
      NAMES,
      new Map(),
      [],
      () => false,
      () => '',
    );
    assert.deepEqual(
      r.labelErrors.map((e) => e.image),
      issues.suspects.map((s) => s.image),
    );
    assert.deepEqual(
      r.labelErrors.map((e) => e.suggested),
      issues.suspects.map((s) => s.proposed),
    );
    assert.equal(r.shortcutMistakes.length, 0);
    for (let i = 1; i < r.labelErrors.length; i++) assert.ok(r.labelErrors[i - 1].score >= r.labelErrors[i].score);
  }
});

test('occluding the shortcut decides: label back = shortcut mistake; third class = both; unchanged = label error', () => {
  // Four images labelled circle, square, star, star; the model says triangle on all of them.
  const p = (a: number[]) => a;
  const images: AuditImage[] = [
    { path: 'circle/a.png', label: 0, pred: 3, probs: p([0.01, 0.01, 0.01, 0.97]) },
    { path: 'square/b.png', label: 1, pred: 3, probs: p([0.01, 0.02, 0.01, 0.96]) },
    { path: 'star/c.png', label: 2, pred: 3, probs: p([0.01, 0.01, 0.01, 0.97]) },
    { path: 'star/d.png', label: 2, pred: 3, probs: p([0.01, 0.01, 0.01, 0.97]) },
  ];
  const flat = new Float64Array(images.flatMap((im) => [...(im.probs as number[])]));
  // Give every class images the model is sure of, so thresholds exist.
  const sure: AuditImage[] = [0, 1, 2, 3].map((c) => ({
    path: `${NAMES[c]}/sure.png`,
    label: c,
    pred: c,
    probs: [0, 1, 2, 3].map((j) => (j === c ? 0.97 : 0.01)),
  }));
  const all = [...images, ...sure];
  const probs = new Float64Array([...flat, ...sure.flatMap((s) => [...(s.probs as number[])])]);
  const issues = findLabelIssues(
    probs,
    all.map((im) => im.label),
    4,
  );
  const box: [number, number, number, number] = [0, 0, 16, 16];
  const occ = new Map<number, Occlusion[]>([
    [0, [{ shortcut: 0, box, probs: [0.9, 0.05, 0.03, 0.02] }]], // back to circle
    [1, [{ shortcut: 0, box, probs: [0.05, 0.05, 0.85, 0.05] }]], // a star filed under square
    [2, [{ shortcut: 0, box, probs: [0.01, 0.01, 0.01, 0.97] }]], // still triangle
  ]);
  const r = classifySuspects(
    all,
    issues,
    NAMES,
    occ,
    [],
    () => false,
    () => 'triangle/layer2.1/G0',
  );
  const sm = new Map(r.shortcutMistakes.map((m) => [m.path, m]));
  const le = new Map(r.labelErrors.map((e) => [e.path, e]));
  assert.equal(sm.get('circle/a.png')?.alsoLabelError, false);
  assert.ok(!le.has('circle/a.png'));
  assert.equal(sm.get('square/b.png')?.alsoLabelError, true);
  assert.equal(le.get('square/b.png')?.suggested, 2, 'suggests the prediction without the shortcut');
  assert.ok(!sm.has('star/c.png'));
  assert.equal(le.get('star/c.png')?.suggested, 3);
  assert.ok(le.has('star/d.png') && !sm.has('star/d.png'), 'no occlusion measured: a plain label error');
  assert.deepEqual(sm.get('circle/a.png')?.box, box);
});

test("where the model needs its shortcut for the label's class, its habit or the representation decides", () => {
  // Labelled triangle (3) without the shortcut: the model calls most of them square (1).
  const images: AuditImage[] = [
    { path: 't/habit.png', label: 3, pred: 1, probs: [0.02, 0.9, 0.02, 0.06] },
    { path: 't/rare.png', label: 3, pred: 0, probs: [0.9, 0.02, 0.02, 0.06] },
    { path: 'c/plain.png', label: 0, pred: 1, probs: [0.3, 0.6, 0.05, 0.05] },
    ...[0, 1, 2, 3].map((c) => ({ path: `${c}/sure.png`, label: c, pred: c, probs: [0, 1, 2, 3].map((j) => (j === c ? 0.9 : 0.1 / 3)) })),
  ];
  const probs = new Float64Array(images.flatMap((im) => [...(im.probs as number[])]));
  const issues = findLabelIssues(
    probs,
    images.map((im) => im.label),
    4,
  );
  const rel = [{ class: 3, without: 20, predicted: [1, 17, 2, 0], recall: 0 }];
  const habit = classifySuspects(
    images,
    issues,
    NAMES,
    new Map(),
    rel,
    () => false,
    () => '',
  );
  const by = new Map(habit.labelErrors.map((e) => [e.path, e]));
  assert.ok(Math.abs(by.get('t/habit.png')!.reliability - 3 / 20) < 1e-12);
  assert.ok(Math.abs(by.get('t/rare.png')!.reliability - 19 / 20) < 1e-12);
  assert.equal(by.get('c/plain.png')!.reliability, 1);
  assert.ok(habit.labelErrors.findIndex((e) => e.path === 't/habit.png') > habit.labelErrors.findIndex((e) => e.path === 't/rare.png'));
  const knn = classifySuspects(
    images,
    issues,
    NAMES,
    new Map(),
    rel,
    () => false,
    () => '',
    (i) => (i === 0 ? 0.1 : 0.6),
  );
  const k = new Map(knn.labelErrors.map((e) => [e.path, e]));
  assert.ok(Math.abs(k.get('t/habit.png')!.score - 0.9) < 1e-12);
  assert.ok(Math.abs(k.get('t/rare.png')!.score - 0.4) < 1e-12);
});

/**
 * Data without shortcuts (issue 16): Fashion-MNIST test images (shared/reference/fmnist-test) with labels
 * flipped at random (seeded) in a copy; the audit's label errors must rank the flips at least as well as plain
 * confident learning (precision among the top k, k = the number of flips). The shortcuts it reports (if any: the
 * verdict is measured, not assumed) are printed.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { runAudit } from '../../../src/engine/audit/run';
import { runScan } from '../../../src/engine/data/run-scan';
import { seededRandom } from '../../../src/engine/util/random';
import { REPO_ROOT, sharedPath } from '../../helpers/shared';

/** A copy of the ImageFolder with `rate` of the images moved to a random other class folder; the moved paths. */
function plantFlips(src: string, dst: string, rate: number, seed: number): Set<string> {
  const rng = seededRandom(seed);
  const classes = readdirSync(src, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const flipped = new Set<string>();
  for (const c of classes) mkdirSync(path.join(dst, c), { recursive: true });
  copyFileSync(path.join(src, 'labels.txt'), path.join(dst, 'labels.txt'));
  for (const c of classes) {
    for (const f of readdirSync(path.join(src, c)).sort()) {
      let to = c;
      if (rng() < rate) {
        const others = classes.filter((x) => x !== c);
        to = others[Math.floor(rng() * others.length)];
      }
      // A class prefix keeps names unique in the target folder.
      const name = `${c}-${f}`;
      copyFileSync(path.join(src, c, f), path.join(dst, to, name));
      if (to !== c) flipped.add(`${to}/${name}`);
    }
  }
  return flipped;
}

test('Fashion-MNIST with planted flips: the audit ranks label errors no worse than confident learning', { timeout: 1_800_000 }, async (t) => {
  const data = sharedPath(t, 'reference/fmnist-test');
  const model = sharedPath(t, 'reference/models/fmnist-cnn.onnx');
  if (!data || !model) return;
  const dir = path.join(os.tmpdir(), `neurflow-audit-fmnist-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  try {
    const flipped = plantFlips(data, dir, 0.1, 16);
    const k = flipped.size;
    assert.ok(k >= 50, `planted ${k} flips`);
    const scan = await runScan(model, dir, { provider: 'cpu' });
    const cl = scan.labelIssues.suspects.slice(0, k).filter((s) => flipped.has(scan.images[s.image].path)).length / k;
    const report = await runAudit({ model, data: dir, scan, provider: 'cpu', store: path.join(REPO_ROOT, '.cache', 'test-results', 'audit-fmnist') });
    const ours = report.labelErrors.slice(0, k).filter((e) => flipped.has(e.path)).length / k;
    console.log(
      `# fmnist: ${k} flips; precision@${k}: confident learning ${cl.toFixed(3)}, audit ${ours.toFixed(3)}; shortcuts ${report.shortcuts.map((s) => s.id).join(', ') || 'none'}; classes examined ${report.examined.length}`,
    );
    assert.ok(report.examined.length >= 2, 'the audit examined the classes the suspects are predicted as');
    assert.ok(ours >= cl, `audit precision@${k} ${ours} < confident learning ${cl}`);
    // Every suspect is accounted for: a label error or a shortcut mistake.
    const listed = new Set([...report.labelErrors.map((e) => e.path), ...report.shortcutMistakes.map((m) => m.path)]);
    assert.equal(listed.size, scan.labelIssues.suspects.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Checks against the PyTorch gradient fixtures (shared/reference/gradients): plain gradients and IG (Gauss-Legendre
 * and riemann_trapezoid, 50 steps) of F_j for every case of one model. Shared by the per-model test files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SegmentGradients } from '../../../src/engine/grad/ig';
import { readNpy } from '../../../src/engine/io/npy';
import { loadModel } from '../../../src/engine/onnx/model';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { segment } from '../../../src/engine/onnx/submodel';
import { sharedPath, SHARED_DIR } from '../../helpers/shared';

interface Target {
  j: number;
  grad_file: string;
  ig_gl_f64_file: string;
  ig_rt_f64_file: string;
  delta_file: string;
}
interface Case {
  id: string;
  model: string;
  lower_tensor: string;
  upper_tensor: string;
  lower_file: string;
  lower_shape: number[];
  targets: Target[];
}

export function relError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(ours.length, ref.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return err / scale;
}

export function referenceTests(modelName: string): void {
  test(`${modelName}: gradients and IG match PyTorch (rel < 1e-3), completeness < 1% of |delta|`, async (t) => {
    const dir = sharedPath(t, 'reference/gradients');
    if (!dir) return;
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { cases: Case[] };
    const cases = manifest.cases.filter((c) => c.id.startsWith(`${modelName}__`));
    assert.ok(cases.length > 0, `no fixture cases for ${modelName}`);
    const model = await loadModel(path.join(SHARED_DIR, cases[0].model));
    const shapes = await inferShapes(model, { threads: 1 });
    for (const c of cases) {
      const seg = await SegmentGradients.create(segment(model, c.lower_tensor, c.upper_tensor), shapes, { threads: 2 });
      try {
        const lower = readNpy(path.join(dir, c.lower_file));
        const a = lower.data as Float32Array;
        const n = lower.shape[0];
        const targets = c.targets.map((x) => x.j);
        const grads = await seg.gradients(a, n, targets);
        const gl = await seg.integratedGradients(a, n, targets, { method: 'gausslegendre', steps: 50 });
        const rt = await seg.integratedGradients(a, n, targets, { method: 'riemann_trapezoid', steps: 50 });
        c.targets.forEach((tg, k) => {
          const errs = {
            grad: relError(grads[k], readNpy(path.join(dir, tg.grad_file)).data as Float32Array),
            gl: relError(gl[k].attributions, readNpy(path.join(dir, tg.ig_gl_f64_file)).data as Float64Array),
            rt: relError(rt[k].attributions, readNpy(path.join(dir, tg.ig_rt_f64_file)).data as Float64Array),
            delta: relError(gl[k].delta, Array.from(readNpy(path.join(dir, tg.delta_file)).data as Float64Array)),
          };
          t.diagnostic(
            `${c.id} j=${tg.j}: rel grad ${errs.grad.toExponential(2)}, IG-GL ${errs.gl.toExponential(2)}, IG-RT ${errs.rt.toExponential(2)}, delta ${errs.delta.toExponential(2)}, completeness GL ${gl[k].relativeCompletenessError.toExponential(2)}`,
          );
          for (const [what, e] of Object.entries(errs)) assert.ok(e < 1e-3, `${c.id} j=${tg.j}: ${what} relative error ${e} >= 1e-3`);
          assert.ok(gl[k].relativeCompletenessError < 0.01, `${c.id} j=${tg.j}: completeness error ${gl[k].relativeCompletenessError} >= 1%`);
        });
      } finally {
        await seg.release();
      }
    }
  });
}

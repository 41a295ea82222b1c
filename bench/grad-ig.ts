/**
 * IG throughput per reference segment: attributions (one = IG of one target on one sample, 50 Gauss-Legendre
 * steps, all lower channels) per second, on the gradient fixtures' segments and activations.
 *
 *   npx tsx bench/grad-ig.ts [--provider cpu|cuda|auto] [--threads T] [--samples N] [--targets K] [--rows R] [--repeat R]
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentGradients } from '../src/engine/grad/ig';
import { readNpy } from '../src/engine/io/npy';
import { loadModel } from '../src/engine/onnx/model';
import { inferShapes } from '../src/engine/onnx/shapes';
import { segment } from '../src/engine/onnx/submodel';
import type { ProviderSetting } from '../src/engine/runtime/ort';

const SHARED = process.env.NEURFLOW_SHARED ?? path.resolve(__dirname, '..', '..', 'shared');

interface Case { id: string; model: string; lower_tensor: string; upper_tensor: string; lower_file: string; upper_shape: number[] }

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string' }, threads: { type: 'string' }, samples: { type: 'string' }, targets: { type: 'string' },
      rows: { type: 'string' }, repeat: { type: 'string' },
    },
  });
  const dir = path.join(SHARED, 'reference', 'gradients');
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { cases: Case[] };
  const samples = Number(values.samples ?? 32);
  const targetCount = Number(values.targets ?? 4);
  const repeat = Number(values.repeat ?? 2);
  const options = {
    provider: (values.provider ?? 'cpu') as ProviderSetting,
    threads: values.threads ? Number(values.threads) : undefined,
    rowsPerRun: values.rows ? Number(values.rows) : undefined,
  };
  console.log(`IG throughput: ${samples} samples x ${targetCount} targets, 50 Gauss-Legendre steps, best of ${repeat}`);
  console.log(['segment', 'lower', 'upper', 'provider', 'rows/run', 'seconds', 'attributions/s', 'rows/s'].join('\t'));
  for (const c of manifest.cases) {
    const model = await loadModel(path.join(SHARED, c.model));
    const shapes = await inferShapes(model, options);
    const grads = await SegmentGradients.create(segment(model, c.lower_tensor, c.upper_tensor), shapes, options);
    try {
      const stored = readNpy(path.join(dir, c.lower_file));
      const per = stored.data.length / stored.shape[0];
      // Tile the stored samples to the requested count.
      const a = new Float32Array(samples * per);
      for (let s = 0; s < samples; s++) a.set((stored.data as Float32Array).subarray((s % stored.shape[0]) * per, (s % stored.shape[0] + 1) * per), s * per);
      const targets = Array.from({ length: targetCount }, (_, k) => k % c.upper_shape[1]);
      let best = Infinity;
      for (let r = 0; r < repeat; r++) {
        const t0 = process.hrtime.bigint();
        await grads.integratedGradients(a, samples, targets, { steps: 50 });
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
      }
      const attributions = samples * targetCount;
      console.log([c.id, stored.shape.slice(1).join('x'), c.upper_shape.slice(1).join('x'), grads.provider, grads.rowsPerRun,
        best.toFixed(2), (attributions / best).toFixed(1), ((attributions * 50) / best).toFixed(0)].join('\t'));
    } finally {
      await grads.release();
    }
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });

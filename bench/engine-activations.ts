/**
 * Throughput of the activation pass: channel means of every detected layer (plus logits) for N random inputs.
 * Usage: npx tsx bench/engine-activations.ts [MODEL] [--n 512] [--provider auto|cpu|cuda|webgpu] [--threads T]
 *        [--batch B] [--maps]   (default MODEL: ../shared/reference/models/shortcut-resnet.onnx)
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../src/engine/onnx/model';
import { inferShapes } from '../src/engine/onnx/shapes';
import { detectLayers } from '../src/engine/onnx/layers';
import { computeActivations } from '../src/engine/onnx/activations';
import { sessionCache } from '../src/engine/runtime/sessions';
import type { ProviderSetting } from '../src/engine/runtime/ort';

async function bench(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      n: { type: 'string', default: '512' },
      provider: { type: 'string', default: 'cpu' },
      threads: { type: 'string' },
      batch: { type: 'string' },
      maps: { type: 'boolean' },
    },
  });
  const file = positionals[0] ?? path.resolve(__dirname, '..', '..', 'shared', 'reference', 'models', 'shortcut-resnet.onnx');
  const n = Number(values.n);
  const t0 = performance.now();
  const model = await loadModel(file);
  const shapes = await inferShapes(model, { height: 224, width: 224 });
  const layers = detectLayers(model, shapes);
  const t1 = performance.now();
  const [c, h, w] = shapes.get(model.input.name)!.slice(1);
  const sample = c * h * w;
  // The inputs are made before the clock starts: the timed pass measures the model, not Math.sin (which took
  // about three quarters of the old figure on the 64-px demo model).
  const inputs = new Float32Array(n * sample);
  for (let i = 0; i < inputs.length; i++) inputs[i] = Math.sin(i * 0.37);
  const source = { count: n, batch: (start: number, count: number) => inputs.subarray(start * sample, (start + count) * sample) };
  const tensors = layers.map((l) => l.tensor);
  const options = {
    provider: values.provider as ProviderSetting,
    threads: values.threads ? Number(values.threads) : undefined,
    batchSize: values.batch ? Number(values.batch) : undefined,
  };
  const spec = { means: tensors, maps: values.maps ? tensors : [], logits: true };
  // Warm-up (session creation) on one batch, then the timed pass.
  await computeActivations(model, { count: Math.min(n, 8), batch: source.batch }, spec, options);
  const t2 = performance.now();
  const r = await computeActivations(model, source, spec, options);
  const t3 = performance.now();
  console.log(
    `${path.basename(file)}: ${layers.length} layers, input ${c}x${h}x${w}, provider ${r.provider}, batch ${r.batchSize}${values.maps ? ', with full maps' : ''}`,
  );
  console.log(
    `load + shapes + layers ${(t1 - t0).toFixed(0)} ms; ${n} images in ${((t3 - t2) / 1000).toFixed(2)} s = ${(n / ((t3 - t2) / 1000)).toFixed(1)} images/s`,
  );
  await sessionCache.clear();
}

bench().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

/**
 * IG throughput and memory per segment of a torchvision topology at 224 px (default resnet50): for every
 * consecutive analysis layer pair, IG (Gauss-Legendre) of --targets upper channels on --samples crops (smooth
 * random images' lower activations), as the analysis asks for it (one target at a time on its crops). Prints
 * rows/s (one row = one (crop, step) forward + backward) and the process RSS after each segment.
 *
 *   npx tsx bench/grad-ig-torchvision.ts [--model resnet50] [--samples 8] [--targets 2] [--steps 50] [--provider cpu]
 */
import { parseArgs } from 'node:util';
import { SegmentGradients } from '../src/engine/grad/ig';
import { computeActivations } from '../src/engine/onnx/activations';
import { segment } from '../src/engine/onnx/submodel';
import type { ProviderSetting } from '../src/engine/runtime/ort';
import { smoothImage, torchvisionCase, torchvisionFile } from '../test/unit/grad/torchvision';

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, samples: { type: 'string' }, targets: { type: 'string' }, steps: { type: 'string' }, provider: { type: 'string' } },
  });
  const name = values.model ?? 'resnet50';
  const samples = Number(values.samples ?? 8);
  const targetCount = Number(values.targets ?? 2);
  const steps = Number(values.steps ?? 50);
  const provider = (values.provider ?? 'cpu') as ProviderSetting;
  const c = await torchvisionCase(torchvisionFile(name));
  const inDims = c.shapes.get(c.model.input.name)!;
  const images = new Float32Array(samples * inDims.slice(1).reduce((a, b) => a * b, 1));
  for (let s = 0; s < samples; s++) images.set(smoothImage(inDims[2], inDims[3], 100 + s), (s * images.length) / samples);
  const acts = await computeActivations(
    c.model,
    { data: images, dims: [samples, ...inDims.slice(1)] },
    { maps: c.layers.map((l) => l.tensor) },
    { threads: 2 },
  );
  let peak = process.memoryUsage().rss;
  console.log(
    `${name}: IG of ${targetCount} targets x ${samples} crops, ${steps} Gauss-Legendre steps, provider ${provider}; RSS after activations ${mib(peak)} MiB`,
  );
  console.log(['segment', 'rows/run', 'build s', 'IG s', 'rows/s', 'RSS MiB'].join('\t'));
  for (let i = 0; i + 1 < c.layers.length; i++) {
    const lower = c.layers[i];
    const upper = c.layers[i + 1];
    const a = acts.maps.get(lower.tensor)!.data;
    const t0 = performance.now();
    const sg = await SegmentGradients.create(segment(c.model, lower.tensor, upper.tensor), c.shapes, { provider, threads: 2 });
    const t1 = performance.now();
    try {
      for (let j = 0; j < targetCount; j++) await sg.integratedGradients(a, samples, [j]);
      const seconds = (performance.now() - t1) / 1000;
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      console.log(
        [
          `${lower.name}->${upper.name}`,
          sg.rowsPerRun,
          ((t1 - t0) / 1000).toFixed(2),
          seconds.toFixed(2),
          ((targetCount * samples * (steps + 2)) / seconds).toFixed(0),
          mib(rss),
        ].join('\t'),
      );
    } finally {
      await sg.release();
    }
  }
  console.log(`peak RSS sampled ${mib(peak)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

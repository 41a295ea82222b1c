/**
 * IG throughput per segment of the reference NeurFlow run (shortcut-resnet, docs/design.md 3.3): rows (one row = one
 * (crop, step) forward+backward) and attributions (one = IG of one target on one crop, all quadrature steps,
 * every lower channel) per second, as the analysis asks for them: one target at a time on its own crops.
 * Activations are the reference test images' (first 8, tiled to --samples).
 *
 *   npx tsx bench/grad-ig.ts [--samples 50] [--targets 2] [--steps 50] [--repeat 3] [--threads T]
 *                            [--rows R,R2,...] [--ig-threads T] [--provider cpu|cuda|auto] [--fixtures] [--torch]
 *
 * --fixtures also runs every segment of shared/reference/gradients (the other models).
 * --torch times the same IG with PyTorch autograd (bench/grad-ig-torch.py, Debian's python3-torch) on the same
 * machine, for comparison only: no test depends on Python.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentGradients } from '../src/engine/grad/ig';
import { readNpy } from '../src/engine/io/npy';
import { computeActivations } from '../src/engine/onnx/activations';
import { loadModel, type LoadedModel } from '../src/engine/onnx/model';
import { inferShapes } from '../src/engine/onnx/shapes';
import { segment } from '../src/engine/onnx/submodel';
import type { ProviderSetting } from '../src/engine/runtime/ort';

const SHARED = process.env.NEURFLOW_SHARED ?? path.resolve(__dirname, '..', '..', 'shared');
const RESNET = 'reference/models/shortcut-resnet.onnx';
const block = (l: string) => `/${l.split('.')[0]}/${l}/relu_1/Relu_output_0`;
/** The reference run's layer pairs (lower -> upper) and its fit seconds / neurons per pair (timing.json). */
const REFERENCE: { id: string; lower: string; upper: string; torchSeconds: number; neurons: number }[] = [
  { id: 'L5 layer3.1->fc', lower: block('layer3.1'), upper: 'logits', torchSeconds: 3.2, neurons: 1 },
  { id: 'L4 layer3.0->layer3.1', lower: block('layer3.0'), upper: block('layer3.1'), torchSeconds: 6.8, neurons: 8 },
  { id: 'L3 layer2.1->layer3.0', lower: block('layer2.1'), upper: block('layer3.0'), torchSeconds: 16.3, neurons: 21 },
  { id: 'L2 layer2.0->layer2.1', lower: block('layer2.0'), upper: block('layer2.1'), torchSeconds: 20.6, neurons: 24 },
  { id: 'L1 layer1.1->layer2.0', lower: block('layer1.1'), upper: block('layer2.0'), torchSeconds: 32.9, neurons: 29 },
];

interface Case {
  id: string;
  model: string;
  lower: string;
  upper: string;
  activation: Float32Array;
  perSample: number;
  stored: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function referenceCases(model: LoadedModel): Promise<Case[]> {
  const input = readNpy(path.join(SHARED, 'reference/predictions/shortcut-test__first8.npy'));
  const acts = await computeActivations(
    model,
    { data: input.data as Float32Array, dims: input.shape },
    { maps: REFERENCE.map((r) => r.lower) },
    { threads: 2 },
  );
  return REFERENCE.map((r) => {
    const t = acts.maps.get(r.lower)!;
    return { id: r.id, model: RESNET, lower: r.lower, upper: r.upper, activation: t.data, perSample: t.data.length / t.dims[0], stored: t.dims[0] };
  });
}

function fixtureCases(): Case[] {
  const dir = path.join(SHARED, 'reference', 'gradients');
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    cases: { id: string; model: string; lower_tensor: string; upper_tensor: string; lower_file: string }[];
  };
  return manifest.cases.map((c) => {
    const t = readNpy(path.join(dir, c.lower_file));
    return {
      id: c.id,
      model: c.model,
      lower: c.lower_tensor,
      upper: c.upper_tensor,
      activation: t.data as Float32Array,
      perSample: t.data.length / t.shape[0],
      stored: t.shape[0],
    };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string' },
      threads: { type: 'string' },
      samples: { type: 'string' },
      targets: { type: 'string' },
      steps: { type: 'string' },
      rows: { type: 'string' },
      repeat: { type: 'string' },
      fixtures: { type: 'boolean' },
      'ig-threads': { type: 'string' },
      torch: { type: 'boolean' },
    },
  });
  const samples = Number(values.samples ?? 50);
  const targetCount = Number(values.targets ?? 2);
  const steps = Number(values.steps ?? 50);
  const repeat = Number(values.repeat ?? 3);
  const threads = values.threads ? Number(values.threads) : undefined;
  const rowSettings = values.rows ? values.rows.split(',').map(Number) : [undefined];
  const provider = (values.provider ?? 'cpu') as ProviderSetting;
  const resnet = await loadModel(path.join(SHARED, RESNET));
  const cases = [...(await referenceCases(resnet)), ...(values.fixtures ? fixtureCases() : [])];
  console.log(
    `IG: ${samples} crops x ${targetCount} targets (one target per run), ${steps} Gauss-Legendre steps, median of ${repeat}; load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(['segment', 'provider', 'rows/run', 'ms/target', 'cpu ms/target', 'attributions/s', 'rows/s', 'rows/cpu-s', 'reference torch rows/s'].join('\t'));
  const models = new Map<string, LoadedModel>([[RESNET, resnet]]);
  for (const c of cases) {
    if (!models.has(c.model)) models.set(c.model, await loadModel(path.join(SHARED, c.model)));
    const model = models.get(c.model)!;
    const shapes = await inferShapes(model, { threads });
    const upperChannels = shapes.get(c.upper)![1];
    const a = new Float32Array(samples * c.perSample);
    for (let s = 0; s < samples; s++) a.set(c.activation.subarray((s % c.stored) * c.perSample, ((s % c.stored) + 1) * c.perSample), s * c.perSample);
    const targets = Array.from({ length: targetCount }, (_, k) => (k * 7) % upperChannels);
    for (const rowsPerRun of rowSettings) {
      const igThreads = values['ig-threads'] ? Number(values['ig-threads']) : undefined;
      const grads = await SegmentGradients.create(segment(model, c.lower, c.upper), shapes, { provider, threads, rowsPerRun, igThreads });
      try {
        await grads.integratedGradients(a, samples, [targets[0]], { steps }); // warm-up
        const times: number[] = [];
        const cpus: number[] = [];
        for (let r = 0; r < repeat; r++) {
          const t0 = process.hrtime.bigint();
          const c0 = process.cpuUsage();
          for (const j of targets) await grads.integratedGradients(a, samples, [j], { steps });
          times.push(Number(process.hrtime.bigint() - t0) / 1e9);
          const c = process.cpuUsage(c0);
          cpus.push((c.user + c.system) / 1e6);
        }
        const sec = median(times);
        const cpu = median(cpus);
        const attributions = samples * targetCount;
        const ref = REFERENCE.find((x) => x.id === c.id);
        const torchRows = ref ? ((ref.neurons * 50 * 50) / ref.torchSeconds).toFixed(0) : '';
        console.log(
          [
            c.id,
            grads.provider,
            grads.rowsPerRun,
            ((sec / targetCount) * 1000).toFixed(1),
            ((cpu / targetCount) * 1000).toFixed(1),
            (attributions / sec).toFixed(1),
            ((attributions * steps) / sec).toFixed(0),
            ((attributions * steps) / cpu).toFixed(0),
            torchRows,
          ].join('\t'),
        );
      } finally {
        await grads.release();
      }
    }
  }
  if (values.torch) {
    const script = path.join(__dirname, 'grad-ig-torch.py');
    const args = [
      script,
      '--model',
      path.join(SHARED, RESNET),
      '--input',
      path.join(SHARED, 'reference/predictions/shortcut-test__first8.npy'),
      '--threads',
      String(threads ?? 2),
      '--samples',
      String(samples),
      '--targets',
      String(targetCount),
      '--steps',
      String(steps),
      '--repeat',
      String(repeat),
      ...REFERENCE.flatMap((r) => ['--segment', `${r.id}|${r.lower}|${r.upper}`]),
    ];
    const r = spawnSync('/usr/bin/python3', args, { stdio: 'inherit' });
    if (r.status !== 0) console.log(`(torch comparison unavailable: python3 exited ${r.status ?? r.error?.message})`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

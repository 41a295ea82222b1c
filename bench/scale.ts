/**
 * The analysis at real size (issue 15): torchvision ResNet-50, 224 px, random weights (scripts/export-torchvision.sh
 * puts it in .cache/torchvision), on N images of one class (the shortcut test triangles, resized 256 and cropped
 * 224 by the imagenet preset), the top layer and the last 5 blocks, tau 16. Prints every stage in cost units
 * (1 unit = the analysis's own activations stage: one forward pass over every crop), the total, peak memory, and
 * the fast analysis against --exact on the layers where exact is affordable (core-set Jaccard, group ARI).
 *   node --import tsx bench/scale.ts [--images 50] [--exact-layers 2] [--blocks 5] [--tau 16] [--model FILE]
 *     [--provider cpu|auto|webgpu|cuda] [--threads N] [--no-exact] [--biases S]
 * --biases S: every convolution gets a bias drawn from N(0, S^2) (seeded), as a trained network's folded batch norms
 * give it: the blocks are then no longer positively homogeneous, so one IG node no longer settles and the
 * analysis takes the 8-node rung (random torchvision weights have zero biases).
 * --exact-layers K: the exact run analyses the top K layers (K = 2: the logits and layer4.2, i.e. the core sets of
 * layer4.2 and layer4.1 and the groups of layer4.2), the fast run all of them.
 *
 * Measured (2-core CPU, onnxruntime-node 1.30 CPU provider, 2026-12-05, other jobs sharing the machine), 50 images,
 * 718 core neurons (fc 1, layer4.2 16, layer4.1 129, layer4.0 289, layer3.5 283; 338 in layer3.4):
 *   1 unit = activations stage = 89-90 s; fast analysis 3.02-3.29 units in all (layer4.0 0.93-0.98, layer3.5
 *   0.68-0.85, layer4.1 0.28-0.30), every neuron kept at one IG node (completeness error 4e-7); peak RSS 1.6 GB.
 *   Against --exact (top 2 layers): core sets of layer4.2 and layer4.1 Jaccard 1.000, groups ARI 1.000; exact
 *   layer4.2 takes 0.99 units against the fast 0.09.
 *   Before the IG ladder, 2-thread IG and per-layer session release: 16.7 units, peak 2.1 GB (8 nodes on 1 thread).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { analyseClass } from '../src/engine/analysis/job';
import { adjustedRandIndex } from '../src/engine/analysis/cluster';
import { jaccard } from '../src/engine/diff/diff';
import { releaseSegmentGradients } from '../src/engine/analysis/ig-adapter';
import { decodeModel, encodeModel } from '../src/engine/onnx/proto';
import type { ResultDocument } from '../src/engine/result/schema';
import type { ProviderSetting } from '../src/engine/runtime/ort';
import { sessionCache } from '../src/engine/runtime/sessions';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '50' },
    'exact-layers': { type: 'string', default: '2' },
    blocks: { type: 'string', default: '5' },
    tau: { type: 'string', default: '16' },
    model: { type: 'string' },
    provider: { type: 'string' },
    threads: { type: 'string' },
    shared: { type: 'string' },
    'no-exact': { type: 'boolean' },
    biases: { type: 'string' },
  },
});
const root = path.resolve(__dirname, '..');
const shared = path.resolve(values.shared ?? path.join(root, '../shared'));
const source = values.model ?? path.join(root, '.cache/torchvision/resnet50.onnx');
const model = values.biases ? withBiases(source, Number(values.biases)) : source;
const n = Number(values.images);

/** A copy of `file` (in the temp folder) whose Conv biases are drawn from N(0, scale^2), seeded. */
function withBiases(file: string, scale: number): string {
  const proto = decodeModel(readFileSync(file), file);
  const biases = new Set(proto.graph.node.filter((n) => n.opType === 'Conv' && n.input[2]).map((n) => n.input[2]));
  let seed = 12345;
  const uniform = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed + 0.5) / 2 ** 32;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  for (const t of proto.graph.initializer) {
    if (!biases.has(t.name ?? '')) continue;
    const count = Number(t.dims[0]);
    const values = Float32Array.from({ length: count }, () => scale * gaussian());
    t.rawData = new Uint8Array(values.buffer);
    t.floatData = [];
  }
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'neurflow-scale-model-')), `${path.basename(file, '.onnx')}-biases-${scale}.onnx`);
  writeFileSync(out, encodeModel(proto));
  return out;
}

/** An ImageFolder with `n` triangles and two circles (so the class has an index), as symlinks. */
function dataset(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'neurflow-scale-'));
  const src = path.join(shared, 'datasets/shortcut/test');
  for (const [cls, count] of [
    ['triangle', n],
    ['circle', 2],
  ] as const) {
    mkdirSync(path.join(dir, cls));
    for (const f of readdirSync(path.join(src, cls)).sort().slice(0, count)) symlinkSync(path.join(src, cls, f), path.join(dir, cls, f));
  }
  return dir;
}

interface Measured {
  doc: ResultDocument;
  wall: number;
  peak: number;
}

async function run(data: string, layers: string[] | undefined, exact: boolean, label: string): Promise<Measured> {
  const t0 = performance.now();
  let stage = '';
  const { doc } = await analyseClass({
    model,
    data,
    class: 'triangle',
    layers,
    blocks: Number(values.blocks),
    preprocessing: 'imagenet',
    params: { tau: Number(values.tau), selection: 'labelled', exact },
    provider: values.provider as ProviderSetting | undefined,
    threads: values.threads ? Number(values.threads) : undefined,
    onProgress: (e) => {
      const key = `${e.stage}|${e.layer ?? ''}`;
      if (key === stage) return;
      stage = key;
      console.log(`  [${label} ${((performance.now() - t0) / 1000).toFixed(0)} s] ${e.message} (RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  await sessionCache.clear();
  await releaseSegmentGradients();
  return { doc, wall, peak };
}

(async () => {
  const data = dataset();
  try {
    console.log(
      `bench:scale: ${path.basename(model)}${values.biases ? ` (conv biases ~ N(0, ${values.biases}^2))` : ''}, ${n} images (imagenet preset, 224 px), top + last ${values.blocks} blocks, tau ${values.tau}`,
    );
    const fast = await run(data, undefined, false, 'fast');
    const d = fast.doc;
    const unit = d.timings.activations;
    const analysis = Object.entries(d.timings).filter(([k]) => k !== 'total' && !k.startsWith('maps:'));
    const sum = analysis.reduce((s, [, v]) => s + v, 0);
    console.log(`provider ${d.runtime.provider}; ${d.crops.table.length} crops referenced; layers ${d.params.layers.join(' > ')}`);
    console.log(`core neurons: ${d.layers.map((l) => `${l.name} ${l.neurons.length}`).join(', ')}`);
    console.log(`1 unit = activations stage = ${unit.toFixed(1)} s`);
    for (const [k, v] of analysis) {
      const maps = k.startsWith('layer:') ? d.timings[`maps:${k.slice(6)}`] : undefined;
      const of = maps !== undefined ? ` (lower maps ${maps.toFixed(1)} s = ${(maps / unit).toFixed(2)} units)` : '';
      console.log(`  ${k.padEnd(22)} ${v.toFixed(1).padStart(8)} s ${(v / unit).toFixed(2).padStart(7)} units${of}`);
    }
    console.log(
      `  ${'analysis total'.padEnd(22)} ${sum.toFixed(1).padStart(8)} s ${(sum / unit).toFixed(2).padStart(7)} units (wall with model load and scan ${fast.wall.toFixed(0)} s)`,
    );
    console.log(`approximations: ${JSON.stringify(d.approximations)}`);
    console.log(`peak RSS ${(fast.peak / 2 ** 20).toFixed(0)} MiB`);
    if (values['no-exact']) return;
    const k = Number(values['exact-layers']);
    const exact = await run(data, d.params.layers.slice(0, k + 1), true, 'exact');
    for (let i = 1; i <= k; i++) {
      const a = d.layers[i].neurons.map((x) => x.channel);
      const b = exact.doc.layers[i].neurons.map((x) => x.channel);
      console.log(`core set of ${d.layers[i].name}: Jaccard ${jaccard(a, b).toFixed(3)} (${a.length} fast vs ${b.length} exact)`);
    }
    for (let i = 0; i < k; i++) {
      const fl = d.layers[i];
      const el = exact.doc.layers[i];
      if (!fl.grouping || !el.grouping) continue;
      // Groups over the (neuron, sub-concept) pairs both runs share.
      const label = (l: typeof fl) =>
        new Map(l.grouping!.pairs.map(([ch, s], p) => [`${ch}:${s}`, l.grouping!.groups.findIndex((g) => g.members.includes(p))]));
      const fa = label(fl);
      const ea = label(el);
      const common = [...fa.keys()].filter((key) => ea.has(key));
      const ari =
        common.length > 1
          ? adjustedRandIndex(
              common.map((c) => fa.get(c)!),
              common.map((c) => ea.get(c)!),
            )
          : Number.NaN;
      console.log(
        `groups of ${fl.name}: ARI ${ari.toFixed(3)} on ${common.length} shared pairs (${fl.grouping.count} fast vs ${el.grouping.count} exact groups)`,
      );
    }
    const exactIg = Object.entries(exact.doc.timings).filter(([key]) => key.startsWith('layer:'));
    for (const [key, v] of exactIg)
      console.log(`exact ${key}: ${v.toFixed(1)} s = ${(v / unit).toFixed(2)} units (fast ${(d.timings[key] ?? 0).toFixed(1)} s)`);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
})();

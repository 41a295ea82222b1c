/**
 * Per-stage times and peak memory of a full class analysis on any model and dataset (defaults: the reference
 * models in ../shared/reference with the paper's settings, tau 16).
 *   node --import tsx bench/analysis-class.ts [--model shortcut-mobilenet] [--data DIR] [--class C] [--tau N] [--threads N]
 *     [--labelled] [--preset imagenet] [--blocks N] [--layers a,b,c]
 * Measured 2026-11-23 (2 shared cores, 224-px torchvision resnet50 with random weights, 40 images = 2360 crops,
 * tau 16, layers fc > layer4.2 > layer4.1): activations 229 s, layer4.2 16 neurons 258 s (~16 s per neuron: 50
 * top crops x 50 IG steps), peak RSS 1232 MiB (before batching by the budget without ORT's arena: 3.8 GB by the
 * second layer, 6.0 GB by the fifth at tau 2). layer4.1 then has 138 core neurons at tau 16 (~37 min more).
 * Peak RSS is the kernel's high-water mark (`resourceUsage().maxRSS`), so it includes peaks inside native runs.
 * Models by short name: shortcut-resnet, shortcut-mobilenet (data: shortcut test, class triangle), fmnist-cnn
 * (data: fmnist-test, class 0).
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { analyseClass } from '../src/engine/analysis/job';
import { classArg, referenceCase } from './reference';
import type { ProviderSetting } from '../src/engine/runtime/ort';
import type { PresetName } from '../src/engine/data/sidecar';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    class: { type: 'string' },
    tau: { type: 'string' },
    threads: { type: 'string' },
    provider: { type: 'string' },
    blocks: { type: 'string' },
    shared: { type: 'string' },
    labelled: { type: 'boolean' },
    preset: { type: 'string' },
    layers: { type: 'string' },
  },
});
const shared = path.resolve(values.shared ?? path.join(__dirname, '../../shared'));
const reference = referenceCase(shared, values.model ?? 'shortcut-resnet');
const model = reference.model;
const data = values.data ?? reference.data;
const cls = values.class ?? reference.defaultClass;

(async () => {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  let stage = '';
  const { doc } = await analyseClass({
    model,
    data,
    class: classArg(cls),
    blocks: values.blocks ? Number(values.blocks) : undefined,
    layers: values.layers ? values.layers.split(',') : undefined,
    preprocessing: values.preset as PresetName | undefined,
    params: { ...(values.tau ? { tau: Number(values.tau) } : {}), ...(values.labelled ? { selection: 'labelled' as const } : {}) },
    onProgress: (e) => {
      const k = `${e.stage}|${e.layer ?? ''}`;
      if (k !== stage || e.stage === 'neurons') {
        console.log(
          `[${((performance.now() - t0) / 1000).toFixed(1)} s] ${e.stage}: ${e.message} (RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB)`,
        );
        stage = k;
      }
    },
    threads: values.threads ? Number(values.threads) : undefined,
    provider: values.provider as ProviderSetting | undefined,
  });
  clearInterval(timer);
  const wall = (performance.now() - t0) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  console.log(
    `${path.basename(model)} class ${doc.class.name}: ${doc.class.images.length} images, layers ${doc.params.layers.join(' > ')}, tau ${doc.params.tau}, provider ${doc.runtime.provider}`,
  );
  console.log(`core neurons per layer: ${doc.layers.map((l) => `${l.name} ${l.neurons.length}`).join(', ')}`);
  console.log(
    'stage times (s):',
    Object.entries(doc.timings)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', '),
  );
  console.log(`wall ${wall.toFixed(1)} s (incl. model load, scan, image decoding); peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
})();

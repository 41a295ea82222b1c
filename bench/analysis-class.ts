/**
 * Per-stage times and peak memory of a full class analysis on any model and dataset (defaults: the reference
 * models in ../shared/reference with the paper's settings, tau 16).
 *   node --import tsx bench/analysis-class.ts [--model shortcut-mobilenet] [--data DIR] [--class C] [--tau N] [--threads N]
 * Models by short name: shortcut-resnet, shortcut-mobilenet (data: shortcut test, class triangle), fmnist-cnn
 * (data: fmnist-test, class 0).
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { analyseClass } from '../src/engine/analysis/job';
import type { ProviderSetting } from '../src/engine/runtime/ort';

const { values } = parseArgs({ options: {
  model: { type: 'string' }, data: { type: 'string' }, class: { type: 'string' }, tau: { type: 'string' }, threads: { type: 'string' },
  provider: { type: 'string' }, blocks: { type: 'string' }, shared: { type: 'string' },
} });
const shared = path.resolve(values.shared ?? path.join(__dirname, '../../shared'));
const name = values.model ?? 'shortcut-resnet';
const isFile = name.endsWith('.onnx');
const model = isFile ? name : path.join(shared, 'reference/models', `${name}.onnx`);
const fmnist = name.includes('fmnist');
const data = values.data ?? (fmnist ? path.join(shared, 'reference/fmnist-test') : path.join(shared, 'datasets/shortcut/test'));
const cls = values.class ?? (fmnist ? '0' : 'triangle');

(async () => {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  const t0 = performance.now();
  const { doc } = await analyseClass({
    model, data, class: /^\d+$/.test(cls) ? Number(cls) : cls, blocks: values.blocks ? Number(values.blocks) : undefined,
    params: values.tau ? { tau: Number(values.tau) } : {}, threads: values.threads ? Number(values.threads) : undefined,
    provider: values.provider as ProviderSetting | undefined,
  });
  clearInterval(timer);
  const wall = (performance.now() - t0) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${path.basename(model)} class ${doc.class.name}: ${doc.class.images.length} images, layers ${doc.params.layers.join(' > ')}, tau ${doc.params.tau}, provider ${doc.runtime.provider}`);
  console.log(`core neurons per layer: ${doc.layers.map((l) => `${l.name} ${l.neurons.length}`).join(', ')}`);
  console.log('stage times (s):', Object.entries(doc.timings).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '));
  console.log(`wall ${wall.toFixed(1)} s (incl. model load, scan, image decoding); peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
})();

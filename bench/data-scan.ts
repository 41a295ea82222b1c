/**
 * Benchmark of the scan's data path: images per second for decoding + preprocessing alone, for the model alone
 * (pre-made tensors), and for the whole scan (decoding overlapped with the model), on
 *   1. the shortcut test split (400 x 64x64 PNG, shortcut-resnet and its sidecar), and
 *   2. generated 640x480 JPEGs (default 500) with the imagenet preset (resize 256, crop 224) and a 224x224
 *      model (default: .cache/torchvision/resnet18.onnx, made by ../shared/tools/export-torchvision.sh).
 *
 * Usage: node --import tsx bench/data-scan.ts [--images N] [--model224 FILE] [--threads N] [--concurrency N]
 * Prints figures; asserts nothing. Run it alone (it uses every core).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { openDataset } from '../src/engine/data/dataset';
import { defaultConcurrency, loadBatches } from '../src/engine/data/loader';
import { scanDataset } from '../src/engine/data/scan';
import { completePreprocessing, resolvePreprocessing, type ResolvedPreprocessing } from '../src/engine/data/sidecar';
import { loadModel, type LoadedModel } from '../src/engine/onnx/model';
import { runnableBytes } from '../src/engine/onnx/submodel';
import { OrtSession } from '../src/engine/runtime/ort';

const REPO = path.resolve(__dirname, '..');
const SHARED = process.env.NEURFLOW_SHARED ?? path.resolve(REPO, '..', 'shared');

interface Figures {
  set: string;
  images: number;
  decode: number;
  model?: number;
  scan?: number;
}

async function decodeRate(files: string[], resolved: ResolvedPreprocessing, concurrency: number): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for await (const b of loadBatches(files, resolved.preprocessing, { batchSize: 64, concurrency })) n += b.indices.length;
  return n / ((performance.now() - t0) / 1000);
}

async function modelRate(session: OrtSession, model: LoadedModel, p: ResolvedPreprocessing['preprocessing'], total: number): Promise<number> {
  const batch = 32;
  const data = new Float32Array(batch * p.channels * p.size[0] * p.size[1]).map((_, i) => Math.sin(i) * 0.5);
  const feeds = { [model.input.name]: { data, dims: [batch, p.channels, p.size[0], p.size[1]] } };
  await session.run(feeds, [model.output.name]); // warm-up
  const t0 = performance.now();
  let n = 0;
  while (n < total) {
    await session.run(feeds, [model.output.name]);
    n += batch;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function measure(
  set: string,
  modelFile: string | undefined,
  data: string,
  resolvedFor: (m?: LoadedModel) => ResolvedPreprocessing,
  opts: { threads: number; concurrency: number; modelImages: number },
): Promise<Figures> {
  const model = modelFile ? await loadModel(modelFile) : undefined;
  const resolved = resolvedFor(model);
  const ds = openDataset(data, { modelLabels: resolved.labels });
  const files = ds.items.map((i) => i.file);
  const fig: Figures = { set, images: files.length, decode: await decodeRate(files, resolved, opts.concurrency) };
  if (model) {
    const session = await OrtSession.create(runnableBytes(model), model.path, { threads: opts.threads, spinning: false });
    try {
      fig.model = await modelRate(session, model, resolved.preprocessing, Math.min(opts.modelImages, files.length));
      const r = await scanDataset(model, session, ds, resolved, { concurrency: opts.concurrency });
      fig.scan = r.images.length / (r.timings.totalMs / 1000);
    } finally {
      await session.release();
    }
  }
  return fig;
}

async function makeJpegs(dir: string, n: number): Promise<void> {
  const w = 640;
  const h = 480;
  for (let c = 0; c < 2; c++) {
    const cls = path.join(dir, `class${c}`);
    await import('node:fs/promises').then((fs) => fs.mkdir(cls, { recursive: true }));
  }
  const base = Buffer.alloc(w * h * 3);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        base[o] = (x + i * 7) & 255;
        base[o + 1] = (y * 2 + i * 3) & 255;
        base[o + 2] = ((x ^ y) + i) & 255;
      }
    }
    await sharp(base, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(path.join(dir, `class${i % 2}`, `${String(i).padStart(4, '0')}.jpg`));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { images: { type: 'string' }, model224: { type: 'string' }, threads: { type: 'string' }, concurrency: { type: 'string' } },
  });
  const nJpeg = Number(values.images ?? 500);
  const threads = Number(values.threads ?? availableParallelism());
  const concurrency = Number(values.concurrency ?? defaultConcurrency());
  const opts = { threads, concurrency, modelImages: 256 };
  console.log(
    `data-scan benchmark: ${availableParallelism()} CPUs, onnxruntime threads ${threads}, decode concurrency ${concurrency}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`,
  );
  const results: Figures[] = [];

  const resnet = path.join(SHARED, 'reference/models/shortcut-resnet.onnx');
  const test = path.join(SHARED, 'datasets/shortcut/test');
  if (existsSync(resnet) && existsSync(test)) {
    results.push(await measure('shortcut test, 64x64 PNG, shortcut-resnet', resnet, test, (m) => resolvePreprocessing(resnet, m!.input), opts));
  } else console.log(`(skipping the shortcut set: ${test} not found)`);

  const dir = mkdtempSync(path.join(tmpdir(), 'nf-bench-'));
  try {
    const t0 = performance.now();
    await makeJpegs(dir, nJpeg);
    console.log(`generated ${nJpeg} JPEGs 640x480 in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const model224 = values.model224 ?? path.join(REPO, '.cache/torchvision/resnet18.onnx');
    const have = existsSync(model224);
    if (!have) console.log(`(no 224x224 model at ${model224}: decode only; export one with ../shared/tools/export-torchvision.sh .cache/torchvision resnet18)`);
    const input = { name: 'input', shape: ['batch', 3, 224, 224] as (number | string)[], channels: 3, height: 224, width: 224 };
    results.push(
      await measure(
        `640x480 JPEG -> imagenet preset${have ? `, ${path.basename(model224)}` : ''}`,
        have ? model224 : undefined,
        dir,
        (m) => ({ preprocessing: completePreprocessing({ preset: 'imagenet' }, m?.input ?? input, 'imagenet'), source: 'option' }),
        opts,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const fmt = (v?: number) => (v === undefined ? '-' : v.toFixed(0));
  const rows = [
    ['set', 'images', 'decode+preprocess img/s', 'model alone img/s', 'scan img/s', 'bound by'],
    ...results.map((r) => [
      r.set,
      String(r.images),
      fmt(r.decode),
      fmt(r.model),
      fmt(r.scan),
      r.model === undefined ? '-' : r.decode > r.model ? 'model' : 'decoding',
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log('');
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

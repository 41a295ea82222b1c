/**
 * The worker's memory of dataset scans: the class picker scans first, the analysis that follows reuses that scan
 * instead of predicting the whole dataset again. Keyed by model sha256, dataset fingerprint and the resolved
 * preprocessing, so a changed image, label or sidecar gives a new scan. Keeps the last few.
 */
import { openDataset, datasetFingerprint } from '../engine/data/dataset';
import { runScan } from '../engine/data/run-scan';
import type { ScanResult } from '../engine/data/scan';
import { resolvePreprocessing } from '../engine/data/sidecar';
import { loadModel } from '../engine/onnx/model';
import type { ScanParams, ScanSummary } from '../protocol/analysis';
import type { JobContext } from './job';

const KEEP = 4;
const scans = new Map<string, ScanResult>();

/** The cache key of a scan: what its numbers depend on. */
async function scanKey(params: ScanParams): Promise<string> {
  const model = await loadModel(params.model);
  const pre = resolvePreprocessing(params.model, model.input, params.preprocessing);
  const dataset = openDataset(params.data, { modelLabels: pre.labels });
  return JSON.stringify([model.sha256, datasetFingerprint(dataset), dataset.source, pre.preprocessing, dataset.names]);
}

/** The scan of `params` from memory, or undefined. */
export async function cachedScan(params: ScanParams): Promise<ScanResult | undefined> {
  return scans.get(await scanKey(params));
}

/** The scan of `params`: from memory, else run (progress "Scanning N images"). */
export async function scanFor(params: ScanParams, ctx: JobContext): Promise<{ scan: ScanResult; cached: boolean }> {
  const key = await scanKey(params);
  const hit = scans.get(key);
  if (hit) {
    scans.delete(key);
    scans.set(key, hit); // most recently used last
    return { scan: hit, cached: true };
  }
  let total = 0;
  ctx.progress('Scanning images');
  const scan = await runScan(params.model, params.data, {
    preprocessing: params.preprocessing,
    provider: params.provider,
    threads: params.threads,
    signal: ctx.signal,
    onReady: ({ dataset }) => {
      total = dataset.items.length;
      ctx.progress(`Scanning ${total.toLocaleString('en-US')} images`, 0, total);
    },
    onProgress: (done, n) => ctx.progress(`Scanning ${n.toLocaleString('en-US')} images`, done, n || total),
  });
  scans.set(key, scan);
  while (scans.size > KEEP) scans.delete(scans.keys().next().value!);
  return { scan, cached: false };
}

/** What the class picker needs: names and per-class counts. */
export function scanSummary(scan: ScanResult, cached: boolean): ScanSummary {
  const k = scan.classes.length;
  const predicted = new Array<number>(k).fill(0),
    labelled = new Array<number>(k).fill(0);
  for (const im of scan.images) {
    predicted[im.pred]++;
    labelled[im.label]++;
  }
  return {
    classes: scan.classes,
    predicted,
    labelled,
    images: scan.images.length,
    accuracy: scan.accuracy,
    skipped: scan.skipped.length,
    warnings: scan.warnings,
    preprocessingSource: scan.preprocessing.source,
    provider: scan.model.provider,
    cached,
    confusion: scan.confusion,
  };
}

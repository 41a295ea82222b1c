/**
 * The atlas of a model: one NeurFlow analysis per class, written to a folder as `<class>.neurflow-result.json`,
 * with an index `atlas.json` listing every class with its status and its numbers from the dataset scan. Made for
 * many classes on many machines: the classes are split over shards (class index mod shard count, see shards.ts),
 * the dataset scan is computed once and shared through the folder, and a class whose result was made from the
 * same model (sha256), dataset (fingerprint) and parameters is skipped, so a killed or repeated run resumes.
 */
import { UsageError } from '../errors';
import { analyseClass, chooseLayers, classImages, classIndexOf, DEFAULT_PARAMS, setupAnalysis, type AnalyseClassOptions } from '../analysis/job';
import type { ProgressEvent } from '../analysis/pipeline';
import { datasetFingerprint } from '../data/dataset';
import { runScan } from '../data/run-scan';
import type { ScanResult } from '../data/scan';
import type { AnalysisParams } from '../result/schema';
import { canonicalJson, resultKey, sha256Hex } from '../result/store';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { ATLAS_FILE, failedFile, publishOnce, readJson, RESULT_SUFFIX, SCAN_FILE, writeJsonAtomic } from './files';
import { classFileStems, inShard, type Shard } from './shards';

export const ATLAS_FORMAT = 'neurflow.atlas';

/** done: a complete result of the current model, data and parameters; empty: no image of the class to analyse. */
export type AtlasStatus = 'done' | 'pending' | 'failed' | 'empty';

export interface AtlasClass {
  class: string;
  index: number;
  /** The result file, relative to the atlas folder. */
  result: string;
  status: AtlasStatus;
  /** The result key (model sha256, dataset fingerprint, parameters) a done result has. */
  key: string;
  /** The shard (of `shards`) that analyses the class. */
  shard: number;
  /** From the scan: images labelled as the class, predicted as it, and both. */
  images: number;
  predicted: number;
  correct: number;
  /** correct / images (the class's recall); null when no image is labelled with the class. */
  accuracy: number | null;
  precision: number | null;
  /** Images of the class predicted as another class, and images of other classes predicted as this one. */
  errors: number;
  falsePositives: number;
  /** Images labelled as the class that confident learning suspects are mislabelled. */
  suspectedLabelErrors: number;
  /** Why the class failed or is empty. */
  error?: string;
}

export interface AtlasIndex {
  format: typeof ATLAS_FORMAT;
  version: 1;
  updatedAt: string;
  /** The model file (absolute path) and its sha256. */
  model: string;
  modelSha256: string;
  data: string;
  fingerprint: string;
  /** The analysis parameters every class shares (each result adds its classIndex). */
  params: Omit<AnalysisParams, 'classIndex'>;
  shards: number;
  /** The shared scan (relative to the folder), its overall accuracy and image count. */
  scan: string;
  accuracy: number;
  imageCount: number;
  classes: AtlasClass[];
}

interface FailedMarker {
  key: string;
  status: 'failed' | 'empty';
  error: string;
}

export interface AtlasOptions extends Pick<AnalyseClassOptions, 'layers' | 'blocks' | 'params' | 'preprocessing' | 'provider' | 'threads' | 'groupsAll'> {
  model: string;
  data: string;
  outDir: string;
  /** Class names or indices, or 'all' (default): every class of the scan (the model's outputs and the dataset's classes). */
  classes?: 'all' | (string | number)[];
  shard: Shard;
  /** Analyse the shard's classes again even when done. */
  force?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  /** Each class of the shard as it starts and ends. */
  onClass?: (e: AtlasClassEvent) => void;
  /** The scan: computed here, or read from the folder (another shard's). */
  onScan?: (e: { computed: boolean; images: number }) => void;
  signal?: AbortSignal;
}

export interface AtlasClassEvent {
  class: string;
  index: number;
  event: 'start' | 'done' | 'skipped' | 'empty' | 'failed' | 'cancelled';
  seconds?: number;
  error?: string;
  file: string;
}

export interface AtlasRun {
  index: AtlasIndex;
  file: string;
  /** The shard's classes by outcome. */
  analysed: number;
  skipped: number;
  empty: number;
  failed: number;
  cancelled: boolean;
}

/** What the shared scan's numbers depend on (as the worker keys its scans): model, dataset, preprocessing. */
function scanKey(scan: Pick<ScanResult, 'model' | 'dataset' | 'preprocessing'>): string {
  const { source: _s, file: _f, ...pre } = scan.preprocessing;
  return sha256Hex(canonicalJson([scan.model.sha256, scan.dataset.fingerprint, pre]));
}

/** Up to this many probabilities the shared scan keeps every image's probabilities (a 1,000-class ImageNet scan would not fit a JSON string). */
const MAX_STORED_PROBS = 5_000_000;

/**
 * The dataset scan, shared by the shards through the folder: read when a scan of the same model, dataset and
 * preprocessing is there, else computed and published (the first shard to finish wins, the others use its file,
 * so every shard selects its images from the same scan).
 */
async function sharedScan(options: AtlasOptions, sha256: string, fingerprint: string): Promise<ScanResult> {
  const file = path.join(options.outDir, SCAN_FILE);
  const found = readJson<ScanResult>(file);
  if (found?.format === 'neurflow.scan' && found.model?.sha256 === sha256 && found.dataset?.fingerprint === fingerprint) {
    options.onScan?.({ computed: false, images: found.images.length });
    return found;
  }
  const scan = await runScan(options.model, options.data, {
    preprocessing: options.preprocessing,
    provider: options.provider,
    threads: options.threads,
    signal: options.signal,
    onProgress: (done, total) => options.onProgress?.({ stage: 'activations', done, total, message: `Scanning ${total} images` }),
  });
  if (scan.images.length * scan.classes.length > MAX_STORED_PROBS) for (const im of scan.images) im.probs = [];
  scan.timings = { totalMs: 0, imagesPerSecond: 0 }; // the same content whichever shard computed it
  const text = JSON.stringify(scan);
  // A stale scan (another model or dataset) is replaced; otherwise only the first writer publishes.
  if (found) writeJsonAtomic(file, scan);
  else if (!publishOnce(file, text)) {
    const winner = readJson<ScanResult>(file);
    if (winner && scanKey(winner) === scanKey(scan)) {
      options.onScan?.({ computed: false, images: winner.images.length });
      return winner;
    }
  }
  options.onScan?.({ computed: true, images: scan.images.length });
  return scan;
}

/** The class indices asked for: all of the scan's classes, or the given names and indices (sorted, each once). */
function requestedClasses(options: AtlasOptions, scan: ScanResult, resolve: (c: string | number) => number): number[] {
  if (options.classes === undefined || options.classes === 'all') return scan.classes.map((_, i) => i);
  return [...new Set(options.classes.map(resolve))].sort((a, b) => a - b);
}

/** The status of a class from the files in the folder. */
function classStatus(dir: string, entry: Pick<AtlasClass, 'result' | 'key'>): { status: AtlasStatus; error?: string } {
  const doc = readJson<{ key?: string; complete?: boolean; format?: string }>(path.join(dir, entry.result));
  if (doc?.format === 'neurflow.result' && doc.key === entry.key && doc.complete === true) return { status: 'done' };
  const marker = readJson<FailedMarker>(failedFile(dir, entry.result.slice(0, -RESULT_SUFFIX.length)));
  if (marker?.key === entry.key) return { status: marker.status, error: marker.error };
  return { status: 'pending' };
}

/** Recomputes every class's status from the folder's files and writes atlas.json (atomically). */
function refreshIndex(dir: string, index: AtlasIndex): AtlasIndex {
  const classes = index.classes.map((c) => {
    const { error: _e, ...rest } = c;
    const s = classStatus(dir, c);
    return { ...rest, status: s.status, ...(s.error ? { error: s.error } : {}) };
  });
  const out = { ...index, updatedAt: new Date().toISOString(), classes };
  writeJsonAtomic(path.join(dir, ATLAS_FILE), out);
  return out;
}

/**
 * Writes atlas.json from the folder's files; another shard may finish while this one reads, so the statuses are
 * read again after writing and written once more when they changed.
 */
function writeIndex(dir: string, index: AtlasIndex): AtlasIndex {
  const first = refreshIndex(dir, index);
  const again = index.classes.map((c) => classStatus(dir, c).status);
  return again.some((s, i) => s !== first.classes[i].status) ? refreshIndex(dir, first) : first;
}

/** `neurflow atlas --index DIR`: atlas.json rewritten from the results in DIR. */
export function indexAtlas(dir: string): AtlasIndex {
  const file = path.join(dir, ATLAS_FILE);
  const index = readJson<AtlasIndex>(file);
  if (!index) throw new UsageError(`${file}: no atlas index there (run neurflow atlas MODEL --data DIR --out ${dir} first)`);
  if (index.format !== ATLAS_FORMAT || !Array.isArray(index.classes)) {
    throw new UsageError(`${file}: not a NeurFlow atlas index (format ${JSON.stringify(index.format)}, expected "${ATLAS_FORMAT}")`);
  }
  return writeIndex(dir, index);
}

function classEntry(scan: ScanResult, i: number, stems: string[], key: string, shards: number): AtlasClass {
  const stats = scan.perClass[i] ?? { support: 0, predicted: 0, correct: 0, precision: null, recall: null };
  return {
    class: scan.classes[i],
    index: i,
    result: `${stems[i]}${RESULT_SUFFIX}`,
    status: 'pending',
    key,
    shard: i % shards,
    images: stats.support,
    predicted: stats.predicted,
    correct: stats.correct,
    accuracy: stats.recall,
    precision: stats.precision,
    errors: scan.mistakes[i]?.falseNegatives.length ?? 0,
    falsePositives: scan.mistakes[i]?.falsePositives.length ?? 0,
    suspectedLabelErrors: scan.labelIssues.suspects.filter((s) => s.label === i).length,
  };
}

/** Runs this shard's part of the atlas, then writes atlas.json. */
export async function runAtlas(options: AtlasOptions): Promise<AtlasRun> {
  const dir = options.outDir;
  const setup = await setupAnalysis(options.model, options.data, options.preprocessing);
  const layers = await chooseLayers(setup.model, setup.layers, options.layers, options.blocks);
  const fingerprint = datasetFingerprint(setup.dataset);
  const sha256 = setup.model.sha256;
  // The parameters as analyseClass completes them, so a class's key is known before (and without) running it.
  const base: Omit<AnalysisParams, 'classIndex'> = { ...DEFAULT_PARAMS, ...options.params, layers: layers.map((l) => l.name) };
  if (options.groupsAll !== undefined) base.groupCounts = Object.fromEntries(layers.map((l) => [l.name, options.groupsAll!]));
  const keyOf = (classIndex: number) => resultKey(sha256, fingerprint, { ...base, classIndex });
  const requested = (scan: ScanResult) =>
    requestedClasses(options, scan, (c) => classIndexOf(setup.dataset, scan.classes.length, setup.preprocessing.labels, c));
  // Bad class names fail before the scan when the dataset alone can answer.
  if (Array.isArray(options.classes)) for (const c of options.classes) classIndexOf(setup.dataset, setup.modelClasses, setup.preprocessing.labels, c);
  const scan = await sharedScan(options, sha256, fingerprint);
  const stems = classFileStems(scan.classes);
  const wanted = requested(scan);
  // A plan of the same model, data and parameters already in the folder (another shard's, maybe with other
  // --classes) is extended rather than replaced.
  const previous = readJson<AtlasIndex>(path.join(dir, ATLAS_FILE));
  const samePlan =
    previous?.format === ATLAS_FORMAT &&
    previous.modelSha256 === sha256 &&
    previous.fingerprint === fingerprint &&
    canonicalJson(previous.params) === canonicalJson(base);
  const indices = [...new Set([...(samePlan ? previous.classes.map((c) => c.index) : []), ...wanted])]
    .filter((i) => i < scan.classes.length)
    .sort((a, b) => a - b);
  let index: AtlasIndex = {
    format: ATLAS_FORMAT,
    version: 1,
    updatedAt: new Date().toISOString(),
    model: path.resolve(options.model),
    modelSha256: sha256,
    data: path.resolve(options.data),
    fingerprint,
    params: base,
    shards: options.shard.count,
    scan: SCAN_FILE,
    accuracy: scan.accuracy,
    imageCount: scan.images.length,
    classes: indices.map((i) => classEntry(scan, i, stems, keyOf(i), options.shard.count)),
  };
  index = writeIndex(dir, index);
  const run: Omit<AtlasRun, 'index' | 'file'> = { analysed: 0, skipped: 0, empty: 0, failed: 0, cancelled: false };
  for (const entry of index.classes) {
    if (!wanted.includes(entry.index) || !inShard(entry.index, options.shard)) continue;
    const out = path.join(dir, entry.result);
    const marker = failedFile(dir, entry.result.slice(0, -RESULT_SUFFIX.length));
    const event = (e: Omit<AtlasClassEvent, 'class' | 'index' | 'file'>) => options.onClass?.({ class: entry.class, index: entry.index, file: out, ...e });
    if (options.signal?.aborted) {
      run.cancelled = true;
      break;
    }
    if (!options.force && classStatus(dir, entry).status === 'done') {
      run.skipped++;
      event({ event: 'skipped' });
      continue;
    }
    if (classImages(scan, entry.index, base.selection).length === 0) {
      const error = `no image of the dataset is ${base.selection} as ${entry.class}`;
      writeJsonAtomic(marker, { key: entry.key, status: 'empty', error } satisfies FailedMarker);
      run.empty++;
      event({ event: 'empty', error });
      continue;
    }
    const started = Date.now();
    event({ event: 'start' });
    try {
      const res = await analyseClass({
        model: options.model,
        data: options.data,
        class: entry.index,
        layers: base.layers,
        params: options.params,
        preprocessing: options.preprocessing,
        provider: options.provider,
        threads: options.threads,
        groupsAll: options.groupsAll,
        scan,
        out,
        onProgress: options.onProgress,
        signal: options.signal,
      });
      const seconds = (Date.now() - started) / 1000;
      if (!res.doc.complete || options.signal?.aborted) {
        run.cancelled = true;
        event({ event: 'cancelled', seconds });
        break;
      }
      if (res.doc.key !== entry.key) throw new Error(`internal: the result key ${res.doc.key} differs from the atlas's ${entry.key}`);
      rmSync(marker, { force: true });
      run.analysed++;
      event({ event: 'done', seconds });
    } catch (e) {
      if (options.signal?.aborted) {
        run.cancelled = true;
        event({ event: 'cancelled' });
        break;
      }
      const error = (e as Error).message;
      writeJsonAtomic(marker, { key: entry.key, status: 'failed', error } satisfies FailedMarker);
      run.failed++;
      event({ event: 'failed', error, seconds: (Date.now() - started) / 1000 });
    }
  }
  index = writeIndex(dir, index);
  return { index, file: path.join(dir, ATLAS_FILE), ...run };
}

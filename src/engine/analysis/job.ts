/**
 * A class analysis from file names (what the CLI and the worker call): load the model and its layers, find the
 * preprocessing, open the dataset, select the class's images (predicted as the class by default, or labelled),
 * reuse a stored result when model, dataset and parameters are unchanged, else run the analysis and save it.
 */
import { PARAMS } from '../params';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { openDataset, datasetFingerprint, type Dataset } from '../data/dataset';
import { loadImageTensor } from '../data/loader';
import { runScan } from '../data/run-scan';
import type { ScanResult } from '../data/scan';
import { resolvePreprocessing, type PreprocessingSettings, type PresetName, type ResolvedPreprocessing } from '../data/sidecar';
import { detectLayers, resolveLayer, type LayerInfo } from '../onnx/layers';
import { loadModel, type LoadedModel } from '../onnx/model';
import { inferShapes } from '../onnx/shapes';
import { ORT_VERSION, type ProviderSetting } from '../runtime/ort';
import type { AnalysisParams, ResultDocument } from '../result/schema';
import { ResultStore, resultKey, writeResult } from '../result/store';
import { buildDocument, type DocumentContext } from './document';
import { analysisBackend } from './ig-adapter';
import { runAnalysis, type LayerSpec, type ProgressEvent } from './pipeline';
import { denormaliser } from './thumbnails';

export const DEFAULT_PARAMS: Omit<AnalysisParams, 'layers' | 'classIndex'> = {
  selection: 'predicted',
  tau: PARAMS.tau.default,
  topCrops: PARAMS.topCrops.default,
  granularities: [1, 0.5, 0.25],
  strideRatio: 0.5,
  igSteps: PARAMS.igSteps.default,
  igMethod: 'gausslegendre',
  exact: false,
  subconceptRange: [2, 5],
  groupRange: [2, 100],
  groupCounts: {},
  normalisation: 'correct',
  representatives: 5,
  debugThreshold: 0.8,
  debugGranularities: [0.25, 0.5, 1],
  debugTopPairs: 3,
  seed: 0,
};

export interface AnalyseClassOptions {
  model: string;
  data: string;
  /** Class index or display name. */
  class: number | string;
  /** Layer names or tensors, top first; default: the top layer and the last `blocks` block outputs. */
  layers?: string[];
  blocks?: number;
  params?: Partial<Omit<AnalysisParams, 'layers' | 'classIndex'>>;
  preprocessing?: PresetName | PreprocessingSettings;
  provider?: ProviderSetting;
  threads?: number;
  /** One group count for every layer (overrides params.groupCounts). */
  groupsAll?: number;
  /** Folder of stored results (reuse + save); none: no caching. */
  store?: string;
  /** Run even when a stored result matches. */
  force?: boolean;
  /** Also write the result here. */
  out?: string;
  /** A scan of the same model, dataset and preprocessing already made (e.g. by the extension's class picker):
   * used instead of scanning again when its dataset fingerprint matches. */
  scan?: ScanResult;
  onProgress?: (e: ProgressEvent) => void;
  /** The result so far, each time a layer below the second finishes (complete: false; not saved). */
  onPartial?: (doc: ResultDocument) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface AnalyseClassResult {
  doc: ResultDocument;
  reused: boolean;
  file?: string;
  /** The scan the class images were chosen from (absent when a stored result was reused): its `skipped` files. */
  scan?: ScanResult;
}

export interface AnalysisSetup {
  model: LoadedModel;
  layers: LayerInfo[];
  preprocessing: ResolvedPreprocessing;
  dataset: Dataset;
  /** Number of the model's output classes. */
  modelClasses: number;
}

/** Model, detected layers, preprocessing and dataset for an analysis or a debugging run. */
export async function setupAnalysis(modelFile: string, data: string, preprocessing?: PresetName | PreprocessingSettings): Promise<AnalysisSetup> {
  const model = await loadModel(modelFile);
  const shapes = await inferShapes(model);
  const layers = detectLayers(model, shapes);
  const pre = resolvePreprocessing(modelFile, model.input, preprocessing);
  const dataset = openDataset(data, { modelLabels: pre.labels });
  const out = shapes.get(model.output.name) ?? [];
  return { model, layers, preprocessing: pre, dataset, modelClasses: out.slice(1).reduce((a, b) => a * b, 1) };
}

/** The analysis layers, top first: given names/tensors, or the top layer plus the last `blocks` below it. */
export async function chooseLayers(model: LoadedModel, detected: LayerInfo[], names?: string[], blocks: number = PARAMS.blocks.default): Promise<LayerInfo[]> {
  if (names && names.length > 0) {
    const shapes = await inferShapes(model);
    return names.map((n) => resolveLayer(model, n, detected, shapes));
  }
  if (detected.length < 2) throw new UsageError(`${model.path}: fewer than two analysis layers were detected; name them with --layers`);
  const top = detected[detected.length - 1];
  return [top, ...detected.slice(0, -1).slice(-blocks).reverse()];
}

/**
 * The class to explain: an index of the model's outputs (a 1000-class model analysed on a dataset of two of its
 * classes takes `633`), or a name from the dataset (labels.txt, folders) or the model (sidecar labels), as the
 * scan names its classes (the model's outputs, extended by dataset classes beyond them).
 */
export function classIndexOf(dataset: Dataset, modelClasses: number, modelLabels: readonly string[] | undefined, cls: number | string): number {
  const count = Math.max(modelClasses, dataset.names.length);
  if (typeof cls === 'number') {
    if (!Number.isInteger(cls) || cls < 0 || cls >= count) {
      throw new UsageError(
        `class ${cls}: not a class index of the model (0..${modelClasses - 1})${dataset.names.length > modelClasses ? ` or the dataset (0..${dataset.names.length - 1})` : ''}`,
      );
    }
    return cls;
  }
  const lists = [dataset.names, dataset.classes, modelLabels ?? []];
  for (const list of lists) if (list.indexOf(cls) >= 0 && list.indexOf(cls) < count) return list.indexOf(cls);
  const shown = dataset.names.length <= 20 ? dataset.names.join(', ') : `${dataset.names.slice(0, 20).join(', ')}, ...`;
  throw new UsageError(
    `class '${cls}': not a class of the dataset (${shown})${modelLabels ? " nor of the model's labels" : ''}; a class index of the model (0..${modelClasses - 1}) also works`,
  );
}

/** The images of the class: predicted as it (default) or labelled as it, in dataset order. */
export function classImages(scan: ScanResult, cls: number, selection: 'predicted' | 'labelled'): string[] {
  return scan.images.filter((im) => (selection === 'predicted' ? im.pred : im.label) === cls).map((im) => im.path);
}

export async function analyseClass(options: AnalyseClassOptions): Promise<AnalyseClassResult> {
  const setup = await setupAnalysis(options.model, options.data, options.preprocessing);
  const { model, dataset } = setup;
  const pre = setup.preprocessing.preprocessing;
  const layers = await chooseLayers(model, setup.layers, options.layers, options.blocks);
  const classIndex = classIndexOf(dataset, setup.modelClasses, setup.preprocessing.labels, options.class);
  const params: AnalysisParams = { ...DEFAULT_PARAMS, ...options.params, layers: layers.map((l) => l.name), classIndex };
  if (options.groupsAll !== undefined) params.groupCounts = Object.fromEntries(layers.map((l) => [l.name, options.groupsAll!]));
  const fingerprint = datasetFingerprint(dataset);
  const key = resultKey(model.sha256, fingerprint, params);
  const store = options.store ? new ResultStore(options.store) : undefined;
  const cached = options.force ? undefined : store?.load(key);
  if (cached) {
    if (options.out) writeResult(options.out, cached);
    return { doc: cached, reused: true, file: store!.pathFor(key) };
  }
  const given = options.scan?.dataset.fingerprint === fingerprint && options.scan.model.sha256 === model.sha256 ? options.scan : undefined;
  const scan =
    given ??
    (await runScan(options.model, options.data, {
      preprocessing: options.preprocessing,
      provider: options.provider,
      threads: options.threads,
      signal: options.signal,
      onProgress: (done, total) => options.onProgress?.({ stage: 'activations', done, total, message: `Scanning ${total} images` }),
    }));
  options.signal?.throwIfAborted();
  const rel = classImages(scan, classIndex, params.selection);
  if (rel.length === 0) throw new UsageError(`no image of ${options.data} is ${params.selection} as class ${dataset.names[classIndex]} (${classIndex})`);
  const byPath = new Map(dataset.items.map((it) => [it.path, it.file]));
  const images = await Promise.all(rel.map((p) => loadImageTensor(byPath.get(p)!, pre)));
  const backend = analysisBackend(model, params, options);
  const specs: LayerSpec[] = layers.map((l) => ({ name: l.name, tensor: l.tensor, shape: l.shape }));
  const [height, width] = pre.size;
  const context: DocumentContext = {
    key,
    model: {
      path: path.resolve(options.model),
      sha256: model.sha256,
      inputName: model.input.name,
      inputShape: model.input.shape,
      labels: dataset.names,
      preprocessing: pre,
    },
    runtime: {
      provider: backend.provider,
      threads: options.threads ?? PARAMS.threads.default,
      versions: { onnxruntime: ORT_VERSION, node: process.versions.node },
    },
    // The images the scan could read (unreadable files are in the scan's `skipped`).
    dataset: { root: dataset.root, layout: dataset.layout, fingerprint, imageCount: scan.images.length },
    class: { index: classIndex, name: dataset.names[classIndex], selection: params.selection, images: rel },
    params,
    images,
    channels: pre.channels,
    height,
    width,
    toRgb: denormaliser(pre.mean, pre.std, pre.scale),
    thumbnailCache: new Map<number, string>(),
  };
  const summary = { accuracy: scan.accuracy, classes: scan.classes, confusion: scan.confusion };
  const onPartial = options.onPartial;
  const run = await runAnalysis({
    backend,
    layers: specs,
    images,
    channels: pre.channels,
    geometry: { height, width },
    params,
    onProgress: options.onProgress,
    onLayer: onPartial
      ? async (partial) => {
          const doc = await buildDocument(partial, { ...context, runtime: { ...context.runtime, provider: backend.provider } });
          await onPartial({ ...doc, scan: summary });
        }
      : undefined,
    signal: options.signal,
  });
  const doc = await buildDocument(run, { ...context, runtime: { ...context.runtime, provider: backend.provider }, onProgress: options.onProgress });
  doc.scan = summary;
  const file = store && doc.complete ? store.save(doc) : undefined;
  // A run cancelled before its first layer finished has nothing to keep: an earlier result at `out` stays.
  if (options.out && (doc.complete || doc.layers.length > 0)) writeResult(options.out, doc);
  return { doc, reused: false, file, scan };
}

/**
 * The scan from file names: load the model, find its preprocessing (sidecar or override), open the dataset,
 * run the scan. Used by the CLI and the worker; pass `sessions` to reuse a session cache.
 */
import { loadModel, type LoadedModel } from '../onnx/model';
import { runnableBytes } from '../onnx/submodel';
import { OrtSession, type ProviderSetting } from '../runtime/ort';
import type { SessionCache } from '../runtime/sessions';
import { openDataset, type Dataset } from './dataset';
import { scanDataset, type ScanOptions, type ScanResult } from './scan';
import { resolvePreprocessing, type PreprocessingSettings, type PresetName, type ResolvedPreprocessing } from './sidecar';

export interface RunScanOptions extends ScanOptions {
  /** Overrides the sidecar: a preset name or explicit settings. */
  preprocessing?: PresetName | PreprocessingSettings;
  provider?: ProviderSetting;
  threads?: number;
  sessions?: SessionCache;
  /** Called once the model, dataset and preprocessing are known, before any image is decoded. */
  onReady?: (info: { model: LoadedModel; dataset: Dataset; preprocessing: ResolvedPreprocessing }) => void;
}

export async function runScan(modelFile: string, dataSource: string, options: RunScanOptions = {}): Promise<ScanResult> {
  const model = await loadModel(modelFile);
  const preprocessing = resolvePreprocessing(modelFile, model.input, options.preprocessing);
  const dataset = openDataset(dataSource, { modelLabels: preprocessing.labels });
  options.onReady?.({ model, dataset, preprocessing });
  const scan = (session: OrtSession) => scanDataset(model, session, dataset, preprocessing, options);
  if (options.sessions) {
    const key = { sha256: model.sha256, sub: 'full', provider: options.provider, threads: options.threads };
    return options.sessions.use(key, () => runnableBytes(model), model.path, scan);
  }
  // No spin-waiting: decoding shares the cores with the model between runs.
  const session = await OrtSession.create(runnableBytes(model), model.path, { provider: options.provider ?? 'cpu', threads: options.threads, spinning: false });
  try {
    return await scan(session);
  } finally {
    await session.release();
  }
}

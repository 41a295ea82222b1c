/**
 * The model behind a saved result, ready to run again (debugging, masking, fidelity): loaded from the path the
 * result records (or another copy), checked against the recorded sha256, with the recorded preprocessing.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../errors';
import type { Preprocessing } from '../data/preprocess';
import { loadImageTensor } from '../data/loader';
import { restoreViews } from '../onnx/channels-first';
import { loadModel, type LoadedModel } from '../onnx/model';
import { inferShapes } from '../onnx/shapes';
import type { ProviderSetting } from '../runtime/ort';
import type { ResultDocument } from '../result/schema';
import { analysisBackend } from './ig-adapter';
import type { OrtAnalysisBackend } from './ort-backend';

export interface ResultModel {
  model: LoadedModel;
  backend: OrtAnalysisBackend;
  preprocessing: Preprocessing;
  /** Preprocessed CHW tensors of image files, as the analysis made them. */
  load(files: readonly string[]): Promise<Float32Array[]>;
}

export async function openResultModel(
  doc: ResultDocument,
  source: string,
  options: { model?: string; provider?: ProviderSetting; threads?: number } = {},
): Promise<ResultModel> {
  const file = options.model ?? doc.model.path;
  if (!existsSync(file)) throw new UsageError(`${source}: the analysed model ${file} is not there any more (pass the model's new path)`);
  const model = await loadModel(file);
  if (model.sha256 !== doc.model.sha256) {
    throw new UsageError(
      `${source}: ${file} is not the model this result was made with (sha256 ${model.sha256.slice(0, 12)}..., result ${doc.model.sha256.slice(0, 12)}...); re-run the analysis`,
    );
  }
  // Layers with channels off axis 1 were analysed through channels-first views: add them to this model too.
  restoreViews(
    model,
    doc.layers.map((l) => l.tensor),
    await inferShapes(model),
  );
  const pre = doc.model.preprocessing as Preprocessing;
  if (!pre || !Array.isArray(pre.size)) throw new UsageError(`${source}: the result does not record its preprocessing`);
  const backend = analysisBackend(model, doc.params, options);
  return { model, backend, preprocessing: pre, load: (files) => Promise.all(files.map((f) => loadImageTensor(f, pre))) };
}

/**
 * The reference setting of the authors' run (shortcut-resnet, class triangle, 85 predicted images) loaded with
 * the engine: model, layer specs (top first), preprocessed images (x/255, mean 0.5, std 0.25).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadModel, type LoadedModel } from '../../../src/engine/onnx/model';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { detectLayers } from '../../../src/engine/onnx/layers';
import type { LayerSpec } from '../../../src/engine/analysis/pipeline';

export interface ReferenceSetting {
  model: LoadedModel;
  layers: LayerSpec[];
  ranks: Map<string, number>;
  images: Float32Array[];
  paths: string[];
  config: { class_id: number; tau: number; layers_top_first: string[]; images: string[] };
}

export async function preprocessShortcut(file: string): Promise<Float32Array> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const plane = info.width * info.height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = (data[p * 3 + c] / 255 - 0.5) / 0.25;
  return out;
}

export async function loadReferenceSetting(shared: string): Promise<ReferenceSetting> {
  const config = JSON.parse(readFileSync(path.join(shared, 'reference/neurflow/run_config.json'), 'utf8'));
  const model = await loadModel(path.join(shared, 'reference/models/shortcut-resnet.onnx'));
  const shapes = await inferShapes(model);
  const detected = detectLayers(model, shapes);
  const layers = (config.layers_top_first as string[]).map((name) => {
    const l = detected.find((d) => d.name === name)!;
    return { name, tensor: l.tensor, shape: l.shape };
  });
  const ranks = new Map(detected.map((d) => [d.tensor, d.rank]));
  const paths = (config.images as string[]).map((p) => path.join(shared, 'datasets/shortcut', p));
  const images = await Promise.all(paths.map(preprocessShortcut));
  return { model, layers, ranks, images, paths, config };
}

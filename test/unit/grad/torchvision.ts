/**
 * The torchvision topologies (.cache/torchvision, scripts/export-torchvision.sh) as gradient cases: their
 * analysis layer pairs, a smooth random image's lower activations, and the plain-VJP reference for the fast
 * IG model (buildVjpModel run once per quadrature step, no channel slice, no affine split, no tap conv).
 * Shared by torchvision-consistency.test.ts and bench/grad-verify-torchvision.ts.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { buildVjpModel, VJP_NAMES } from '../../../src/engine/grad/builder';
import type { ShapeMap } from '../../../src/engine/grad/types';
import { computeActivations } from '../../../src/engine/onnx/activations';
import { ensureView } from '../../../src/engine/onnx/channels-first';
import { detectLayers, type LayerInfo } from '../../../src/engine/onnx/layers';
import { channelAxes } from '../../../src/engine/onnx/layout';
import { loadModel, type LoadedModel } from '../../../src/engine/onnx/model';
import { encodeModel, type ModelProto } from '../../../src/engine/onnx/proto';
import { inferShapes } from '../../../src/engine/onnx/shapes';
import { OrtSession } from '../../../src/engine/runtime/ort';
import { REPO_ROOT } from '../../helpers/shared';

export const TORCHVISION_MODELS = ['resnet18', 'resnet50', 'googlenet', 'mobilenet_v2', 'squeezenet1_1'] as const;

/**
 * The tiny 64-px members (scripts/export_torchvision.py, made by scripts/export-torchvision.sh with no
 * arguments, as CI does) of the CNN families whose shape arithmetic is folded (ShuffleNetV2 channel split and
 * shuffle) or whose blocks add operators (DenseNet concatenations, RegNet squeeze-excitation).
 */
export const TINY_CNN_MODELS = ['tiny_shufflenet', 'tiny_densenet', 'tiny_regnet'] as const;

/** The tiny members with token sequences (ViT) and channels-last maps (Swin, ConvNeXt's head): channels-first views. */
export const TINY_TRANSFORMER_MODELS = ['tiny_vit', 'tiny_swin', 'tiny_convnext'] as const;

/**
 * Layer pairs by torch module path (`lower` module's output -> `upper` module's output) near the top and in
 * the middle of each family, for the PyTorch check (bench/grad-verify-torchvision.*): module outputs can be
 * hooked in torch, so the check does not depend on which layers detectLayers reports. Each module is called
 * once per forward.
 */
export const MODULE_PAIRS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  shufflenet_v2_x1_0: [
    ['stage3.3', 'stage3.4'],
    ['stage3.7', 'stage4.1'],
    ['conv5', 'fc'],
  ],
  densenet121: [
    ['features.denseblock2', 'features.transition2'],
    ['features.transition3', 'features.denseblock4'],
    ['features.norm5', 'classifier'],
  ],
  regnet_y_400mf: [
    ['trunk_output.block3.block3-2', 'trunk_output.block3.block3-3'],
    ['trunk_output.block4.block4-4', 'trunk_output.block4.block4-5'],
    ['trunk_output', 'fc'],
  ],
  efficientnet_b0: [
    ['features.4', 'features.5'],
    ['features.7', 'features.8'],
    ['features.8', 'classifier'],
  ],
  mobilenet_v3_large: [
    ['features.11', 'features.12'],
    ['features.15', 'features.16'],
    ['features.16', 'classifier'],
  ],
  alexnet: [
    ['features.5', 'features.9'],
    ['features.12', 'classifier.2'],
    ['classifier.2', 'classifier'],
  ],
  tiny_shufflenet: [
    ['stage2.1', 'stage3.0'],
    ['stage3.1', 'stage4.1'],
    ['conv5', 'fc'],
  ],
  tiny_densenet: [
    ['features.denseblock2', 'features.transition2'],
    ['features.transition2', 'features.denseblock3'],
    ['features.norm5', 'classifier'],
  ],
  tiny_regnet: [
    ['trunk_output.block2.block2-0', 'trunk_output.block2.block2-1'],
    ['trunk_output.block3.block3-0', 'trunk_output.block3.block3-1'],
    ['trunk_output', 'fc'],
  ],
  // Token sequences (N, L, C) and channels-last maps (N, H, W, C): analysed through channels-first views.
  vit_b_16: [
    ['encoder.layers.encoder_layer_5', 'encoder.layers.encoder_layer_6'],
    ['encoder.layers.encoder_layer_11', 'encoder.ln'],
    ['encoder.ln', 'heads'],
  ],
  swin_t: [
    ['features.3', 'features.4'],
    ['features.5', 'features.6'],
    ['norm', 'head'],
  ],
  convnext_tiny: [
    ['features.3', 'features.4'],
    ['features.5', 'features.6'],
    ['features.7', 'classifier'],
  ],
  tiny_vit: [
    ['encoder.layers.encoder_layer_0', 'encoder.layers.encoder_layer_1'],
    ['encoder.layers.encoder_layer_2', 'encoder.ln'],
    ['encoder.ln', 'heads'],
  ],
  tiny_swin: [
    ['features.1', 'features.2'],
    ['features.3', 'features.4'],
    ['norm', 'head'],
  ],
  tiny_convnext: [
    ['features.1', 'features.2'],
    ['features.3', 'features.4'],
    ['features.5', 'classifier'],
  ],
};

/**
 * The export scope of a torch module path as torch 1.13 names nodes: one segment per module, a numeric child
 * of a container named `<parent segment>.<index>` (`features.4.2` -> `/features/features.4/features.4.2/`).
 */
export function moduleScope(path: string): string {
  const segments: string[] = [];
  for (const part of path.split('.')) {
    segments.push(/^\d+$/.test(part) && segments.length > 0 ? `${segments[segments.length - 1]}.${part}` : part);
  }
  return `/${segments.join('/')}/`;
}

/** The tensor a module's forward returns: the output of the last node (topological order) in its scope. */
export function moduleTensor(model: LoadedModel, path: string): string {
  const scope = moduleScope(path);
  const nodes = model.graph.nodes.filter((n) => (n.name ?? '').startsWith(scope));
  const last = nodes[nodes.length - 1];
  if (!last) throw new Error(`${model.path}: no node in scope ${scope} (module ${path})`);
  return last.output[0];
}

export function torchvisionFile(name: string): string {
  return path.join(REPO_ROOT, '.cache', 'torchvision', `${name}.onnx`);
}

/** The export when present; under CI=true a missing export throws (CI makes them), else undefined. */
export function torchvisionPath(name: string): string | undefined {
  const file = torchvisionFile(name);
  if (existsSync(file)) return file;
  if (process.env.CI === 'true') throw new Error(`${file} missing: CI must run scripts/export-torchvision.sh`);
  return undefined;
}

export interface LayerPair {
  lower: LayerInfo;
  upper: LayerInfo;
}

/** Every consecutive pair, plus pairs two layers apart every `stride` layers. */
export function layerPairs(layers: readonly LayerInfo[], stride = 4): LayerPair[] {
  const pairs: LayerPair[] = [];
  for (let i = 0; i + 1 < layers.length; i++) pairs.push({ lower: layers[i], upper: layers[i + 1] });
  for (let i = 0; i + 2 < layers.length; i += stride) pairs.push({ lower: layers[i], upper: layers[i + 2] });
  return pairs;
}

/** A smooth random image [1, 3, H, W]: a few low-frequency waves per channel, roughly unit scale. */
export function smoothImage(height: number, width: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const out = new Float32Array(3 * height * width);
  for (let c = 0; c < 3; c++) {
    const waves = Array.from({ length: 4 }, () => ({ fy: 1 + 3 * r(), fx: 1 + 3 * r(), ph: 2 * Math.PI * r(), amp: 0.4 + 0.6 * r() }));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let v = 0;
        for (const w of waves) v += w.amp * Math.sin(2 * Math.PI * ((w.fy * y) / height + (w.fx * x) / width) + w.ph);
        out[(c * height + y) * width + x] = v;
      }
    }
  }
  return out;
}

export interface TorchvisionCase {
  model: LoadedModel;
  shapes: Map<string, number[]>;
  layers: LayerInfo[];
  /** Lower activation of every layer tensor for the smooth image (batch 1). */
  activations: Map<string, Float32Array>;
}

export async function torchvisionCase(file: string, seed = 1, includeStem = false): Promise<TorchvisionCase> {
  const model = await loadModel(file);
  const shapes = await inferShapes(model, { threads: 2 });
  const layers = detectLayers(model, shapes, { includeStem });
  const inDims = shapes.get(model.input.name)!;
  const image = smoothImage(inDims[2], inDims[3], seed);
  const acts = await computeActivations(model, { data: image, dims: [1, ...inDims.slice(1)] }, { maps: layers.map((l) => l.tensor) }, { threads: 2 });
  const activations = new Map(layers.map((l) => [l.tensor, acts.maps.get(l.tensor)!.data]));
  return { model, shapes, layers, activations };
}

export interface ModuleEnd {
  name: string;
  /** The tensor the analysis reads: the module's output, or its channels-first view. */
  tensor: string;
  shape: number[];
  /** The channel axis of the module's output (1, or 2 for tokens, 3 for channels-last maps). */
  channelAxis: number;
}

export interface ModulePair {
  lower: ModuleEnd;
  upper: ModuleEnd;
}

export interface ModuleCase {
  model: LoadedModel;
  shapes: Map<string, number[]>;
  pairs: ModulePair[];
  /** The smooth random image [1, 3, H, W] and the lower activations it gives (batch 1). */
  image: { data: Float32Array; dims: number[] };
  activations: Map<string, Float32Array>;
}

/** MODULE_PAIRS of one model resolved to tensors, with the lower activations of a smooth random image. */
export async function moduleCase(file: string, pairs: readonly (readonly [string, string])[], seed = 1): Promise<ModuleCase> {
  const model = await loadModel(file);
  const shapes = await inferShapes(model, { threads: 2 });
  const axes = channelAxes(model.graph, model.input.name, shapes);
  const layer = (name: string): ModuleEnd => {
    const source = moduleTensor(model, name);
    if (!shapes.get(source)) throw new Error(`${file}: module ${name} -> tensor ${source} has no inferred shape`);
    const channelAxis = shapes.get(source)!.length === 2 ? 1 : (axes.get(source) ?? 1);
    const tensor = ensureView(model, source, channelAxis, shapes);
    return { name, tensor, shape: shapes.get(tensor)!.slice(1), channelAxis };
  };
  const resolved = pairs.map(([lo, up]) => ({ lower: layer(lo), upper: layer(up) }));
  const inDims = shapes.get(model.input.name)!;
  const image = { data: smoothImage(inDims[2], inDims[3], seed), dims: [1, ...inDims.slice(1)] };
  const lowers = [...new Set(resolved.map((p) => p.lower.tensor))];
  const acts = await computeActivations(model, image, { maps: lowers }, { threads: 2 });
  const activations = new Map(lowers.map((t) => [t, acts.maps.get(t)!.data]));
  return { model, shapes, pairs: resolved, image, activations };
}

export interface VjpIg {
  /** dF_j/da at a (alpha 1). */
  grad: Float32Array;
  /** [C_lower]: sum over positions of a * sum_k w_k dF_j/dx(alpha_k a). */
  ig: Float64Array;
}

/**
 * The plain VJP path: buildVjpModel of the whole segment, the cotangent of F_j (1/positions at every position
 * of upper channel j), one run per quadrature step; steps and positions summed here in float64.
 */
export async function vjpIntegratedGradients(
  segmentModel: ModelProto,
  shapes: ShapeMap,
  a: Float32Array,
  lowerDims: readonly number[],
  upperDims: readonly number[],
  target: number,
  alphas: readonly number[],
  weights: readonly number[],
): Promise<VjpIg> {
  const session = await OrtSession.create(encodeModel(buildVjpModel(segmentModel, shapes)), 'plain vjp', { threads: 2 });
  try {
    const positions = upperDims.slice(1).reduce((x, y) => x * y, 1);
    const g = new Float32Array(upperDims.reduce((x, y) => x * y, 1));
    g.fill(1 / positions, target * positions, (target + 1) * positions);
    const run = async (alpha: number) => {
      const x = a.map((v) => v * alpha);
      const res = await session.run({ [VJP_NAMES.a]: { data: x, dims: [1, ...lowerDims] }, [VJP_NAMES.g]: { data: g, dims: [1, ...upperDims] } }, [
        VJP_NAMES.grad,
      ]);
      return res[VJP_NAMES.grad].data as Float32Array;
    };
    const grad = await run(1);
    const C = lowerDims[0];
    const per = a.length / C;
    const ig = new Float64Array(C);
    for (let k = 0; k < alphas.length; k++) {
      const gk = await run(alphas[k]);
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let i = c * per; i < (c + 1) * per; i++) sum += a[i] * gk[i];
        ig[c] += weights[k] * sum;
      }
    }
    return { grad, ig };
  } finally {
    await session.release();
  }
}

/** max |ours - ref| / max |ref| (0 when both are all 0). */
export function relError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return scale === 0 ? (err === 0 ? 0 : Infinity) : err / scale;
}

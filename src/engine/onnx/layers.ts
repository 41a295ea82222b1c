/**
 * Analysis layers (docs/design.md 3.1): cut tensors of rank 2, 3 or 4 between the input and the logits, one per block,
 * named after the module that computes the block. The rules, applied to consecutive cut tensors `a -> b`
 * joined by a single node:
 * - an element-wise tail (activation, BatchNormalization, Add/Mul with a constant) continues the block: keep `b`
 *   (under `a`'s name: DenseNet's norm5 + relu still end denseblock4);
 * - a local pooling right after an activation ends a conv stage (Conv, Relu, MaxPool): keep `b`;
 * - a view (Flatten, Reshape, Squeeze, Transpose, Dropout, Identity), a global pooling, or the selection of one
 *   token (ViT's class token) repeats `a`: keep `a` (unless `b` is the output);
 * then consecutive layers of the same block keep the last; and in models with branching blocks (residual,
 * inception, fire, dense, attention) the stem before the first block is left out (it can still be added by name).
 *
 * A block is the deepest module that holds every node between the previous cut tensor and this one (torch
 * exports node names as module paths: `/encoder/layers/encoder_layer_0/mlp/...`), cut at the first numbered
 * child (`features` > `features.5` > `features.5.0` is stage `features.5`, as torchvision numbers stages); the
 * layer is named by the block's last path segment: `layer4.1`, `features.5`, `encoder_layer_0`, `denseblock1`,
 * `transition1`, `block1-0`, `stage2.0`.
 *
 * Each layer knows its channel axis (layout.ts): conv maps N x C x H x W, channels-last maps N x H x W x C and
 * token sequences N x L x C. Layers whose channels are not on axis 1 are analysed through a channels-first view
 * of the tensor (channels-first.ts), which `tensor` names; `source` is the model's own tensor.
 */
import { attrInt } from '../grad/attrs';
import { ACTIVATION_OPS } from './op-kinds';
import { cutTensors } from './cuts';
import { ensureView, isViewTensor, parseViewName, withoutViews } from './channels-first';
import { channelAxes } from './layout';
import type { LoadedModel } from './model';
import type { NodeProto } from './proto';
import { ModelError } from '../errors';

export interface LayerInfo {
  /** Block name (`layer4.1`, `features.5`, `encoder_layer_0`, `fc`), else the tensor name. */
  name: string;
  /** The tensor the analysis reads: `source`, or its channels-first view when the channels are not on axis 1. */
  tensor: string;
  /** Dims of `tensor` without the batch dim: channels first, then positions. */
  shape: number[];
  /** Rank with the batch dim: 2 (N,C), 3 (N,C,L) or 4 (N,C,H,W). */
  rank: number;
  /** The model's tensor. */
  source: string;
  /** Dims of `source` without the batch dim. */
  sourceShape: number[];
  /** The channel axis of `source`, batch axis included (1 for N x C x ..., 2 for N x L x C, 3 for N x H x W x C). */
  channelAxis: number;
  /** Number of channels (neurons). */
  channels: number;
  /** Positions a neuron's value is averaged over: spatial positions or tokens (1 for rank 2). */
  positions: number;
  producerOp: string;
  nodeName: string;
}

export interface DetectOptions {
  /** Keep the stem layers of branched models. Default false. */
  includeStem?: boolean;
}

const ELEMENTWISE = new Set([
  ...ACTIVATION_OPS,
  'BatchNormalization',
  'InstanceNormalization',
  'LRN',
  'Softmax',
  'LogSoftmax',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Neg',
  'Abs',
  'Sqrt',
  'Exp',
  'Pow',
  'Max',
  'Min',
]);
/** Producers after which a local pooling (MaxPool, AveragePool) ends the same stage: activations and convs. */
const POOLED = new Set(['Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu', 'Mish', 'Gelu', 'Conv']);
const VIEWS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Cast', 'Transpose']);
const GLOBAL_POOLS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'ReduceMean', 'ReduceMax', 'ReduceSum']);
const LOCAL_POOLS = new Set(['MaxPool', 'AveragePool', 'LpPool']);
const UNARY = new Set(['Sigmoid', 'HardSigmoid', 'Tanh', 'Erf', 'Relu', 'Clip', 'Softplus', 'Exp', 'Abs', 'Neg']);

/** The module path of a torch node name: `/layer4/layer4.1/relu_1/Relu` -> [layer4, layer4.1, relu_1]. */
export function modulePath(nodeName: string | undefined): string[] {
  if (!nodeName?.startsWith('/')) return [];
  return nodeName.split('/').filter(Boolean).slice(0, -1);
}

/**
 * A module path cut at its first numbered child: [features, features.5, conv, conv.0] -> [features,
 * features.5]; [layer4, layer4.1, relu_1] -> [layer4, layer4.1]; paths without one are kept whole.
 */
export function blockPath(path: readonly string[]): string[] {
  for (let i = 0; i + 1 < path.length; i++) {
    const child = path[i + 1];
    if (child.startsWith(`${path[i]}.`) && /^\d+$/.test(child.slice(path[i].length + 1))) return path.slice(0, i + 2);
  }
  return [...path];
}

function isNumberedChild(path: readonly string[]): boolean {
  const [parent, child] = path.slice(-2);
  return child?.startsWith(`${parent}.`) && /^\d+$/.test(child.slice(parent.length + 1));
}

/**
 * The block name of a node name as torch exports it: `/layer4/layer4.1/relu_1/Relu` -> `layer4.1`,
 * `/features/features.0/features.0.2/Clip` -> `features.0`, `/fc/Gemm` -> `fc`; undefined without a path.
 */
export function moduleName(nodeName: string | undefined): string | undefined {
  const [top, child] = modulePath(nodeName);
  if (top === undefined) return undefined;
  return child !== undefined && isNumberedChild([top, child]) ? child : top;
}

function commonPrefix(paths: readonly (readonly string[])[]): string[] {
  if (paths.length === 0) return [];
  const out: string[] = [];
  for (let i = 0; paths.every((p) => i < p.length && p[i] === paths[0][i]); i++) out.push(paths[0][i]);
  return out;
}

interface Cut {
  tensor: string;
  node: NodeProto;
  dims: number[];
  /** The block that computes it (see blockOf). */
  path: string[];
}

/**
 * The analysis layers, bottom to top; the top is the model's output (the logits). Layers whose channels are not
 * on axis 1 get their channels-first view added to `model` (see channels-first.ts), and its shape to `shapes`.
 */
export function detectLayers(target: LoadedModel, shapes: Map<string, number[]>, options: DetectOptions = {}): LayerInfo[] {
  const model = withoutViews(target);
  const g = model.graph;
  const chain = cutTensors(g, model.input.name, model.output.name);
  if (chain.length < 2) throw new ModelError(`${model.path}: the output ${model.output.name} does not depend on the input ${model.input.name}`);
  const cuts: Cut[] = chain.slice(1).map((tensor, i) => {
    const node = g.producer(tensor)!;
    return { tensor, node, dims: shapes.get(tensor) ?? [], path: blockOf(model, chain[i], tensor) };
  });
  const keep = cuts.map(() => true);
  // alias[i]: the cut that cut i stands for (itself, or the tensor a view / global pooling repeats).
  const alias = cuts.map((_, i) => i);
  const nonConstInputs = (n: NodeProto) => n.input.filter((t) => t && !g.isConstant(t));
  for (let i = 1; i < cuts.length; i++) {
    const b = cuts[i];
    const ins = nonConstInputs(b.node);
    if (ins.length !== 1 || ins[0] !== cuts[i - 1].tensor) continue; // a block, not a single step
    const ai = alias[i - 1];
    const a = cuts[ai];
    const op = b.node.opType;
    // A local pooling that keeps the shape (AlexNet's 6x6 adaptive pool on a 6x6 map) repeats its input too.
    const globalPool =
      GLOBAL_POOLS.has(op) ||
      (LOCAL_POOLS.has(op) && ((spatial(b.dims) === 1 && spatial(a.dims) > 1) || sameDims(a.dims, b.dims))) ||
      isTokenSelect(model, b.node, a.dims);
    if (ELEMENTWISE.has(op) || (LOCAL_POOLS.has(op) && !globalPool && POOLED.has(a.node.opType))) {
      keep[ai] = false;
      // The tail belongs to a's block unless it is a member of a sequence itself (`features.2` after `features.1`).
      if (a.path.length > 0 && !isNumberedChild(b.path)) b.path = a.path;
    } else if (VIEWS.has(op) || globalPool) {
      // `b` repeats `a`; the output is always a layer, so there it replaces `a`.
      if (i === cuts.length - 1) keep[ai] = false;
      else {
        keep[i] = false;
        alias[i] = ai;
      }
    }
  }
  let layers = cuts.filter((c, i) => keep[i] && c.dims.length >= 2 && c.dims.length <= 4);
  // Consecutive layers of one block (the convs of an inverted residual, a transition's norm-relu-conv and
  // pool): keep the last.
  layers = layers.filter((c, i) => i === layers.length - 1 || c.path.length === 0 || c.path.join('/') !== layers[i + 1].path.join('/'));
  if (!options.includeStem) layers = dropStem(layers, (c) => hasMergeBelow(model, c, layers));
  const axes = channelAxes(g, model.input.name, shapes);
  return nameLayers(layers).map((l) => withLayout(target, l, axes.get(l.tensor) ?? fallbackAxis(model, l.tensor, shapes), shapes));
}

/**
 * The block computing `tensor` from the previous cut tensor `prev`: the common module path of the data nodes
 * between them (cut at the first numbered child), else the producer's own block.
 */
function blockOf(model: LoadedModel, prev: string, tensor: string): string[] {
  const g = model.graph;
  const producer = g.producer(tensor)!;
  const lo = g.producer(prev) ? g.indexOf(g.producer(prev)!) : -1;
  const hi = g.indexOf(producer);
  const paths: string[][] = [];
  for (let k = lo + 1; k <= hi; k++) {
    const n = g.nodes[k];
    if (n.output.every((o) => !o || g.isConstant(o))) continue;
    paths.push(modulePath(n.name));
  }
  const common = blockPath(commonPrefix(paths));
  if (common.length === 0) return blockPath(modulePath(producer.name));
  // Every node directly in one module: a leaf (a transition's `conv`, a final `ln`) of the block around it,
  // unless it is a numbered member of a sequence (AlexNet's `features.3`).
  const leaf = paths.every((p) => p.length === common.length) && common.length > 1 && !isNumberedChild(common);
  return leaf ? common.slice(0, -1) : common;
}

/** A Gather of one index on a non-batch axis (ViT's `x[:, 0]`): a selection that repeats the tokens' layer. */
function isTokenSelect(model: LoadedModel, node: NodeProto, inDims: number[]): boolean {
  if (node.opType !== 'Gather' || !model.graph.isConstant(node.input[1])) return false;
  const ax = attrInt(node, 'axis', 0);
  const idx = model.graph.constantValue(node.input[1]);
  return (ax + inDims.length) % inDims.length !== 0 && idx !== undefined && idx.dims.length === 0;
}

/** A channel axis where the layout could not be followed: rank 3 whose consumers read the last axis as features. */
function fallbackAxis(model: LoadedModel, tensor: string, shapes: Map<string, number[]>): number {
  const dims = shapes.get(tensor) ?? [];
  if (dims.length !== 3) return 1;
  const readsLast = model.graph.consumers(tensor).some((n) => n.opType === 'LayerNormalization' || n.opType === 'MatMul');
  return readsLast ? 2 : 1;
}

/** Completes a layer with its layout (and adds the channels-first view to the model when it needs one). */
function withLayout(model: LoadedModel, l: Named, channelAxis: number, shapes: Map<string, number[]>): LayerInfo {
  const full = shapes.get(l.source) ?? [1, ...l.shape];
  const axis = full.length === 2 ? 1 : channelAxis;
  const tensor = ensureView(model, l.source, axis, shapes);
  const dims = shapes.get(tensor)!;
  return {
    ...l,
    tensor,
    shape: dims.slice(1),
    rank: dims.length,
    sourceShape: full.slice(1),
    channelAxis: axis,
    channels: full[axis],
    positions: full.slice(1).reduce((a, b) => a * b, 1) / full[axis],
  };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function spatial(dims: number[]): number {
  return dims.slice(2).reduce((a, b) => a * b, 1);
}

/** Whether a merge (a node joining two data paths) lies between the previous layer and this one. */
function hasMergeBelow(model: LoadedModel, c: Cut, layers: Cut[]): boolean {
  const g = model.graph;
  const i = layers.indexOf(c);
  const lo = i > 0 ? g.indexOf(g.producer(layers[i - 1].tensor)!) : -1;
  const hi = g.indexOf(g.producer(c.tensor)!);
  for (let k = lo + 1; k <= hi; k++) {
    const n = g.nodes[k];
    const data = n.input.filter((t) => t && !g.isConstant(t));
    if (data.length > 1 && !isSelfGate(g, data)) return true;
  }
  return false;
}

/** x * sigmoid(x) and the like (SiLU, Swish, GELU's tails): one tensor and a unary map of it, not two branches. */
function isSelfGate(g: LoadedModel['graph'], inputs: string[]): boolean {
  if (inputs.length !== 2) return false;
  const unaryOf = (t: string, x: string) => {
    const p = g.producer(t);
    return p !== undefined && UNARY.has(p.opType) && p.input[0] === x;
  };
  return unaryOf(inputs[0], inputs[1]) || unaryOf(inputs[1], inputs[0]);
}

/**
 * In a model with branching blocks, the layers before the first block are its stem: the first stage, and the
 * top-level modules that are not numbered siblings of the first block (`conv1`, `maxpool` before `layer1.0`;
 * not `features.1` before `features.3`). A chain-only model (a plain CNN) has no stem.
 */
function dropStem(layers: Cut[], branched: (c: Cut) => boolean): Cut[] {
  const first = layers.findIndex(branched);
  if (first <= 0) return layers;
  const family = (c: Cut) => {
    const m = c.path.at(-1);
    return m && /\.\d+$/.test(m) ? m.replace(/\.\d+$/, '') : undefined;
  };
  const blockFamily = family(layers[first]);
  return layers.filter((c, i) => i >= first || (i > 0 && blockFamily !== undefined && family(c) === blockFamily));
}

type Named = Omit<LayerInfo, 'channelAxis' | 'channels' | 'positions' | 'sourceShape'>;

function nameLayers(cuts: Cut[]): Named[] {
  const used = new Map<string, number>();
  return cuts.map((c) => {
    let name = c.path.at(-1) ?? c.tensor;
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    if (n > 1) name = `${name}#${n}`;
    return { name, tensor: c.tensor, source: c.tensor, shape: c.dims.slice(1), rank: c.dims.length, producerOp: c.node.opType, nodeName: c.node.name ?? '' };
  });
}

/**
 * A layer by name (`layer3.1`), by tensor name (the model's or a channels-first view's, as saved results
 * record it), or any other non-constant tensor of rank 2-4 of the model (added as a layer named after its
 * block, else the tensor). An unknown name raises a ModelError that lists the nearest names.
 */
export function resolveLayer(model: LoadedModel, nameOrTensor: string, layers: LayerInfo[], shapes: Map<string, number[]>): LayerInfo {
  const hit = layers.find((l) => l.name === nameOrTensor) ?? layers.find((l) => l.tensor === nameOrTensor || l.source === nameOrTensor);
  if (hit) return hit;
  const g = model.graph;
  const view = parseViewName(nameOrTensor);
  const source = view?.source ?? nameOrTensor;
  const dims = shapes.get(source);
  if (dims && g.has(source) && !g.isConstant(source)) {
    if (dims.length < 2 || dims.length > 4) {
      throw new ModelError(
        `${model.path}: tensor ${source} has shape [${dims.join(', ')}]; a layer needs rank 2, 3 or 4 (N x C [x H [x W]], N x H x W x C or N x L x C)`,
      );
    }
    const node = g.producer(source);
    const block = moduleName(node?.name);
    const name = block === undefined || layers.some((l) => l.name === block) ? source : block;
    const axis = view?.channelAxis ?? channelAxes(g, model.input.name, shapes).get(source) ?? fallbackAxis(model, source, shapes);
    return withLayout(
      model,
      { name, tensor: source, source, shape: dims.slice(1), rank: dims.length, producerOp: node?.opType ?? 'input', nodeName: node?.name ?? '' },
      axis,
      shapes,
    );
  }
  const candidates = [...layers.map((l) => l.name), ...[...shapes.keys()].filter((t) => t !== model.input.name && !isViewTensor(t))];
  const near = nearest(nameOrTensor, candidates, 5);
  throw new ModelError(`${model.path}: no layer or tensor named ${nameOrTensor}; did you mean ${near.join(', ')}?`);
}

/** The `count` candidates closest to `query` (edit distance, ties in candidate order). */
export function nearest(query: string, candidates: string[], count: number): string[] {
  const scored = [...new Set(candidates)].map((c, i) => ({ c, i, d: editDistance(query.toLowerCase(), c.toLowerCase()) }));
  scored.sort((a, b) => a.d - b.d || a.i - b.i);
  return scored.slice(0, count).map((s) => s.c);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The detected layers plus user-chosen ones (layer names or any tensor names), in topological order,
 * without duplicates. Unknown names raise a ModelError listing the nearest names.
 */
export function withAddedLayers(model: LoadedModel, layers: LayerInfo[], add: readonly string[], shapes: Map<string, number[]>): LayerInfo[] {
  const all = [...layers];
  for (const name of add) {
    const layer = resolveLayer(model, name, layers, shapes);
    if (!all.some((l) => l.tensor === layer.tensor)) all.push(layer);
  }
  const g = model.graph;
  const position = (l: LayerInfo) => {
    const p = g.producer(l.tensor);
    return p ? g.indexOf(p) : -1;
  };
  return all.sort((a, b) => position(a) - position(b));
}

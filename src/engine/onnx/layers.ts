/**
 * Analysis layers (DESIGN 3.1): cut tensors of rank 2, 3 or 4 between the input and the logits, one per block,
 * named after the module path in the producing node's name. The rules, applied to consecutive cut tensors
 * `a -> b` joined by a single node:
 * - an element-wise tail (activation, BatchNormalization, Add/Mul with a constant) continues the block: keep `b`;
 * - a local pooling right after an activation ends a conv stage (Conv, Relu, MaxPool): keep `b`;
 * - a view (Flatten, Reshape, Squeeze, Dropout, Identity) or a global pooling repeats `a`: keep `a`
 *   (unless `b` is the output);
 * then consecutive layers of the same module keep the last; and in models with branching blocks (residual,
 * inception, fire) the stem before the first block is left out (it can still be added by name).
 */
import { cutTensors } from './cuts';
import type { LoadedModel } from './model';
import type { NodeProto } from './proto';
import { ModelError } from '../errors';

export interface LayerInfo {
  /** Module path (`layer4.1`, `features.5`, `fc`), else the tensor name. */
  name: string;
  tensor: string;
  /** Dims without the batch dim. */
  shape: number[];
  /** Rank with the batch dim: 2 (N,C), 3 (N,C,L) or 4 (N,C,H,W). */
  rank: number;
  producerOp: string;
  nodeName: string;
}

export interface DetectOptions {
  /** Keep the stem layers of branched models. Default false. */
  includeStem?: boolean;
}

const ELEMENTWISE = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu',
  'Softplus', 'Softsign', 'Mish', 'Gelu', 'Erf', 'ThresholdedRelu', 'BatchNormalization', 'InstanceNormalization',
  'LRN', 'Softmax', 'LogSoftmax', 'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Abs', 'Sqrt', 'Exp', 'Pow', 'Max', 'Min',
]);
const ACTIVATIONS = new Set(['Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu', 'Mish', 'Gelu']);
const VIEWS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Cast']);
const GLOBAL_POOLS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'ReduceMean', 'ReduceMax', 'ReduceSum']);
const LOCAL_POOLS = new Set(['MaxPool', 'AveragePool', 'LpPool']);

/**
 * The module path of a node name as torch exports it: `/layer4/layer4.1/relu_1/Relu` -> `layer4.1`,
 * `/features/features.0/features.0.2/Clip` -> `features.0`, `/fc/Gemm` -> `fc`; undefined without a path.
 */
export function moduleName(nodeName: string | undefined): string | undefined {
  if (!nodeName || !nodeName.startsWith('/')) return undefined;
  const parts = nodeName.split('/').filter(Boolean).slice(0, -1);
  if (parts.length === 0) return undefined;
  const [top, child] = parts;
  return child !== undefined && child.startsWith(`${top}.`) && /^\d+$/.test(child.slice(top.length + 1)) ? child : top;
}

interface Cut {
  tensor: string;
  node: NodeProto;
  dims: number[];
  module?: string;
}

/** The analysis layers, bottom to top; the top is the model's output (the logits). */
export function detectLayers(model: LoadedModel, shapes: Map<string, number[]>, options: DetectOptions = {}): LayerInfo[] {
  const g = model.graph;
  const chain = cutTensors(g, model.input.name, model.output.name);
  if (chain.length < 2) throw new ModelError(`${model.path}: the output ${model.output.name} does not depend on the input ${model.input.name}`);
  const cuts: Cut[] = chain.slice(1).map((tensor) => {
    const node = g.producer(tensor)!;
    return { tensor, node, dims: shapes.get(tensor) ?? [], module: moduleName(node.name) };
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
    const globalPool = GLOBAL_POOLS.has(op) || (LOCAL_POOLS.has(op) && spatial(b.dims) === 1 && spatial(a.dims) > 1);
    if (ELEMENTWISE.has(op)) keep[ai] = false;
    else if (LOCAL_POOLS.has(op) && !globalPool && ACTIVATIONS.has(a.node.opType)) keep[ai] = false;
    else if (VIEWS.has(op) || globalPool) {
      // `b` repeats `a`; the output is always a layer, so there it replaces `a`.
      if (i === cuts.length - 1) keep[ai] = false;
      else {
        keep[i] = false;
        alias[i] = ai;
      }
    }
  }
  let layers = cuts.filter((c, i) => keep[i] && c.dims.length >= 2 && c.dims.length <= 4);
  // Consecutive layers of one module (the convs of an inverted residual): keep the last.
  layers = layers.filter((c, i) => i === layers.length - 1 || !c.module || c.module !== layers[i + 1].module);
  if (!options.includeStem) layers = dropStem(layers, (c) => hasMergeBelow(model, c, layers));
  return nameLayers(layers);
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
    if (n.input.filter((t) => t && !g.isConstant(t)).length > 1) return true;
  }
  return false;
}

/**
 * In a model with branching blocks, the layers before the first block are its stem: the first stage, and the
 * top-level modules that are not numbered siblings of the first block (`conv1`, `maxpool` before `layer1.0`;
 * not `features.1` before `features.3`). A chain-only model (a plain CNN) has no stem.
 */
function dropStem(layers: Cut[], branched: (c: Cut) => boolean): Cut[] {
  const first = layers.findIndex(branched);
  if (first <= 0) return layers;
  const family = (m?: string) => (m && /\.\d+$/.test(m) ? m.replace(/\.\d+$/, '') : undefined);
  const blockFamily = family(layers[first].module);
  return layers.filter((c, i) => i >= first || (i > 0 && blockFamily !== undefined && family(c.module) === blockFamily));
}

function nameLayers(cuts: Cut[]): LayerInfo[] {
  const used = new Map<string, number>();
  return cuts.map((c) => {
    let name = c.module ?? c.tensor;
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    if (n > 1) name = `${name}#${n}`;
    return { name, tensor: c.tensor, shape: c.dims.slice(1), rank: c.dims.length, producerOp: c.node.opType, nodeName: c.node.name ?? '' };
  });
}

/**
 * A layer by name (`layer3.1`), by tensor name, or any other non-constant tensor of rank 2-4 of the model
 * (added as a layer named after its module, else the tensor). An unknown name raises a ModelError that
 * lists the nearest names.
 */
export function resolveLayer(model: LoadedModel, nameOrTensor: string, layers: LayerInfo[], shapes: Map<string, number[]>): LayerInfo {
  const hit = layers.find((l) => l.name === nameOrTensor) ?? layers.find((l) => l.tensor === nameOrTensor);
  if (hit) return hit;
  const g = model.graph;
  const dims = shapes.get(nameOrTensor);
  if (dims && g.has(nameOrTensor) && !g.isConstant(nameOrTensor)) {
    if (dims.length < 2 || dims.length > 4) {
      throw new ModelError(`${model.path}: tensor ${nameOrTensor} has shape [${dims.join(', ')}]; a layer needs rank 2, 3 or 4 (N x C [x H [x W]])`);
    }
    const node = g.producer(nameOrTensor);
    const name = layers.some((l) => l.name === moduleName(node?.name)) ? nameOrTensor : moduleName(node?.name) ?? nameOrTensor;
    return { name, tensor: nameOrTensor, shape: dims.slice(1), rank: dims.length, producerOp: node?.opType ?? 'input', nodeName: node?.name ?? '' };
  }
  const candidates = [...layers.map((l) => l.name), ...[...shapes.keys()].filter((t) => t !== model.input.name)];
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

/**
 * Channels-first views of layers whose channels are not on axis 1 (token sequences N x L x C, channels-last
 * maps N x H x W x C). The model is rewritten in memory so that such a tensor T flows through
 *
 *     T -> Transpose (channels to axis 1) -> T_cf -> Transpose back -> T_back -> every former consumer of T
 *
 * T_cf is then a cut tensor with the layout every analysis stage expects (N, C, positions...): channel means,
 * full maps, segments (T_cf as a sub-model's input), masking (zeroing channels of T_cf) and gradients all work
 * unchanged, and the two transposes cost next to nothing. The file on disk, and so the model's sha256, are
 * untouched. View names encode the source tensor and axis, so a saved result's layer can be rebuilt on a
 * freshly loaded model (ensureView).
 */
import { makeNode } from './build';
import { GraphIndex } from './graph';
import type { LoadedModel } from './model';
import { ModelError } from '../errors';

const PREFIX = 'nf_channels_first/';
const BACK_PREFIX = 'nf_channels_back/';

/** The name of T's channels-first view. */
export function viewName(source: string, channelAxis: number): string {
  return `${PREFIX}${channelAxis}/${source}`;
}

/** The source tensor and channel axis of a view name, or undefined for other names. */
export function parseViewName(name: string): { source: string; channelAxis: number } | undefined {
  const m = /^nf_channels_first\/(\d+)\/(.+)$/s.exec(name);
  return m ? { source: m[2], channelAxis: Number(m[1]) } : undefined;
}

/** The permutation that moves `axis` of a rank-`rank` tensor to axis 1, keeping the others in order. */
export function toChannelsFirst(rank: number, axis: number): number[] {
  const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 0 && i !== axis);
  return [0, axis, ...rest];
}

/** Whether a tensor name is one of the views' (the channels-first view or the transpose back). */
export function isViewTensor(name: string): boolean {
  return name.startsWith(PREFIX) || name.startsWith(BACK_PREFIX);
}

/**
 * The model as it was before views were added: the graph without the view transposes, consumers reading the
 * source tensors again (what layer detection looks at, so that detecting twice gives the same layers).
 */
export function withoutViews(model: LoadedModel): LoadedModel {
  const nodes = model.proto.graph.node;
  if (!nodes.some((n) => n.output.some(isViewTensor))) return model;
  // Built once per viewed graph (adding a view makes a new graph), so detecting again costs no new index.
  const known = withoutViewsOf.get(model.graph);
  if (known) return { ...model, proto: { ...model.proto, graph: known.graph }, graph: known };
  const back = (t: string) => (t.startsWith(BACK_PREFIX) ? t.replace(/^nf_channels_back\/\d+\//s, '') : t);
  const clean = nodes.filter((n) => !n.output.some(isViewTensor)).map((n) => ({ ...n, input: n.input.map(back) }));
  const index = new GraphIndex({ ...model.proto.graph, node: clean }, model.resolveTensor, model.path);
  withoutViewsOf.set(model.graph, index);
  return { ...model, proto: { ...model.proto, graph: index.graph }, graph: index };
}

const withoutViewsOf = new WeakMap<GraphIndex, GraphIndex>();

function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

/**
 * Makes sure `model` has the channels-first view of `source` (channels at `channelAxis`) and returns its name;
 * `shapes` (the probe shapes, batch 1) gains the view's shape. Idempotent. Axis 1 needs no view: `source`.
 */
export function ensureView(model: LoadedModel, source: string, channelAxis: number, shapes: Map<string, number[]>): string {
  const dims = shapes.get(source);
  if (!dims) throw new ModelError(`${model.path}: the shape of tensor ${source} is unknown`);
  if (channelAxis === 1) return source;
  if (channelAxis < 1 || channelAxis >= dims.length) {
    throw new ModelError(`${model.path}: tensor ${source} of shape [${dims.join(', ')}] has no axis ${channelAxis}`);
  }
  const name = viewName(source, channelAxis);
  const perm = toChannelsFirst(dims.length, channelAxis);
  shapes.set(
    name,
    perm.map((p) => dims[p]),
  );
  if (model.graph.has(name)) return name;
  const graph = model.proto.graph;
  const producer = model.graph.producer(source);
  if (!producer) throw new ModelError(`${model.path}: tensor ${source} is not computed by a node (a graph input or a constant)`);
  if (graph.output.some((o) => o.name === source)) {
    throw new ModelError(`${model.path}: tensor ${source} is a graph output; its channels must be on axis 1`);
  }
  const back = `${BACK_PREFIX}${channelAxis}/${source}`;
  for (const node of graph.node) node.input = node.input.map((t) => (t === source ? back : t));
  const at = graph.node.indexOf(producer) + 1;
  graph.node.splice(
    at,
    0,
    makeNode('Transpose', [source], [name], { perm }, `${name}/Transpose`),
    makeNode('Transpose', [name], [back], { perm: inverse(perm) }, `${back}/Transpose`),
  );
  shapes.set(back, [...dims]);
  model.graph = new GraphIndex(graph, model.resolveTensor, model.path);
  return name;
}

/**
 * Rebuilds, on a freshly loaded model, the channels-first views that some tensor names (a saved result's layer
 * tensors) refer to; other names are left alone.
 */
export function restoreViews(model: LoadedModel, tensors: Iterable<string>, shapes: Map<string, number[]>): void {
  for (const t of tensors) {
    const v = parseViewName(t);
    if (v) ensureView(model, v.source, v.channelAxis, shapes);
  }
}

/**
 * Sub-models cut out of a loaded model: any set of tensors as inputs, any set as outputs. Nodes are selected by
 * reachability from the outputs back to the inputs; initializers (external data read, `Constant` weights kept
 * as nodes) and shape-only subgraphs come along. A `Shape`/`Size` node that reads a tensor below the inputs
 * (e.g. `n = x.shape[0]` taken from the image and used after the cut) is rewritten from the tensor's static
 * shape and the sub-model input's run-time batch (see shapeBelowCut). The result is a plain ONNX model, ready
 * to encode and run.
 */
import type { ModelProto, NodeProto, TensorProto, ValueInfo } from './proto';
import { DataType, encodeModel } from './proto';
import { makeNode, makeTensor, makeValueInfo } from './build';
import { cachedShapeInfo } from './shape-cache';
import type { LoadedModel } from './model';
import { ModelError } from '../errors';
import { foldShapes, type BatchPowers } from '../grad/fold-shapes';

/** The symbolic batch dim given to every sub-model input and output. */
export const BATCH_DIM = 'batch';

/**
 * The model from `inputs` to `outputs`. Every node between them is kept; a node that needs a tensor that is
 * neither one of `inputs` nor constant (e.g. a skip connection from below the lower layer of a segment)
 * raises a ModelError naming that tensor. Inputs and outputs are typed (float32 unless known otherwise) with a
 * dynamic batch dim, with the other dims when the shapes were inferred (see inferShapes).
 */
export function extractSubmodel(model: LoadedModel, inputs: string[], outputs: string[], name?: string): ModelProto {
  const g = model.graph;
  const title = name ?? `${model.path} [${inputs.join(', ')} -> ${outputs.join(', ')}]`;
  for (const t of [...inputs, ...outputs]) {
    if (!g.has(t)) throw new ModelError(`${title}: ${model.path} has no tensor named ${t}`);
  }
  const inputSet = new Set(inputs);
  // Tensors computed from the inputs: anything else a kept node needs must be constant.
  const downstream = new Set(inputs);
  for (const n of g.nodes) {
    if (n.input.some((t) => downstream.has(t))) for (const o of n.output) if (o) downstream.add(o);
  }
  const keep = new Set<NodeProto>();
  const rewritten: NodeProto[] = [];
  let powers: Map<string, BatchPowers> | undefined;
  const initializers: TensorProto[] = [];
  const seen = new Set<string>();
  const stack: { tensor: string; neededBy?: NodeProto }[] = outputs.map((tensor) => ({ tensor }));
  while (stack.length > 0) {
    const { tensor, neededBy } = stack.pop()!;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    if (inputSet.has(tensor)) continue;
    if (g.initializers.has(tensor)) {
      initializers.push(g.constantTensor(tensor)!);
      continue;
    }
    const node = g.producer(tensor);
    if (
      node &&
      (node.opType === 'Shape' || node.opType === 'Size') &&
      !inputSet.has(node.input[0]) &&
      !downstream.has(node.input[0]) &&
      !g.isConstant(node.input[0])
    ) {
      rewritten.push(...shapeBelowCut(model, node, inputs[0], title, () => (powers ??= belowCutPowers(model))));
      continue;
    }
    if (!node || (!downstream.has(tensor) && !g.isConstant(tensor))) {
      const who = neededBy ? `node ${neededBy.name || neededBy.opType} (${neededBy.opType})` : 'an output';
      throw new ModelError(
        `${title}: ${who} needs tensor ${tensor}, which is neither a sub-model input (${inputs.join(', ')}) nor a constant; ` +
          `the inputs do not cut the graph here (a skip connection from below them?)`,
      );
    }
    if (keep.has(node)) continue;
    keep.add(node);
    for (const inp of node.input) if (inp && !seen.has(inp)) stack.push({ tensor: inp, neededBy: node });
  }
  const nodes = [...rewritten, ...g.nodes.filter((n) => keep.has(n))];
  const known = cachedShapeInfo(model.sha256);
  const shapeOf = (t: string) => {
    const dims = known?.shapes.get(t);
    return dims ? [BATCH_DIM, ...dims.slice(1)] : declared(model, t);
  };
  const inputInfo = (t: string): ValueInfo => makeValueInfo(t, known?.types.get(t) ?? DataType.FLOAT, shapeOf(t));
  // Outputs of unknown type stay untyped: onnxruntime infers them (a wrong type would be an error).
  const outputInfo = (t: string): ValueInfo => {
    const type = known?.types.get(t) ?? declaredType(model, t);
    return type === undefined ? { name: t } : makeValueInfo(t, type, shapeOf(t));
  };
  for (const out of outputs) {
    if (inputSet.has(out)) throw new ModelError(`${title}: tensor ${out} is both an input and an output of the sub-model`);
  }
  return {
    irVersion: Math.max(model.proto.irVersion, 4),
    opsetImport: model.proto.opsetImport.map((o) => ({ ...o })),
    producerName: 'neurflow',
    graph: {
      name: title,
      node: nodes,
      initializer: initializers,
      input: inputs.map(inputInfo),
      output: [...new Set(outputs)].map(outputInfo),
      valueInfo: [],
    },
  };
}

/** The shape a model declares for one of its graph inputs/outputs, with a dynamic batch dim. */
function declared(model: LoadedModel, tensor: string): (number | string | null)[] | undefined {
  const v = [...model.proto.graph.input, ...model.proto.graph.output, ...model.proto.graph.valueInfo].find((i) => i.name === tensor);
  const dims = v?.type?.tensorType?.shape?.dim;
  if (!dims) return undefined;
  return dims.map((d, i) => (i === 0 ? BATCH_DIM : d.dimParam ? d.dimParam : d.dimValue ? Number(d.dimValue) : null));
}

/** Input image -> `tensor`. */
export function prefix(model: LoadedModel, tensor: string): ModelProto {
  return extractSubmodel(model, [model.input.name], [tensor], `${model.path} prefix -> ${tensor}`);
}

/** `lower` (as the graph input) -> `upper`. */
export function segment(model: LoadedModel, lower: string, upper: string): ModelProto {
  return extractSubmodel(model, [lower], [upper], `${model.path} segment ${lower} -> ${upper}`);
}

function declaredType(model: LoadedModel, tensor: string): number | undefined {
  const v = [...model.proto.graph.input, ...model.proto.graph.output, ...model.proto.graph.valueInfo].find((i) => i.name === tensor);
  return v?.type?.tensorType?.elemType || undefined;
}

/** `tensor` -> the model's output (logits). */
export function suffix(model: LoadedModel, tensor: string): ModelProto {
  return extractSubmodel(model, [tensor], [model.output.name], `${model.path} suffix ${tensor} ->`);
}

/** The whole model as a sub-model (all graph outputs, external data inlined). */
export function fullModel(model: LoadedModel): ModelProto {
  return extractSubmodel(model, [model.input.name], [...model.graph.outputs], `${model.path}`);
}

/**
 * Bytes onnxruntime can load from memory: the file itself, unless it has external data (which ORT cannot
 * find for a buffer), in which case the model re-encoded with that data inline.
 */
export function runnableBytes(model: LoadedModel): Uint8Array {
  const external = model.proto.graph.initializer.some((t) => t.dataLocation === 1);
  return external ? encodeModel(fullModel(model)) : model.bytes;
}

/** Batch powers (fold-shapes.ts) of every tensor of the model, from its input's batch axis and the probe shapes. */
function belowCutPowers(model: LoadedModel): Map<string, BatchPowers> {
  const known = cachedShapeInfo(model.sha256);
  if (!known) return new Map();
  const initializers = [...model.graph.initializers.keys()].flatMap((t) => {
    const c = model.graph.constantTensor(t);
    return c ? [c] : [];
  });
  return foldShapes({ nodes: model.graph.nodes, shapes: known.shapes, sources: [model.input.name], initializers }).batchPowers;
}

/**
 * Nodes that compute the output of `node` (a Shape or Size of a tensor x below the sub-model's inputs) inside
 * the sub-model: x's static shape (probe run), with its batch axis (length B, the only batch-dependent one)
 * taken from the run-time shape of `input` (whose axis 0 is the batch). Throws a ModelError naming the node
 * and the tensor when x's shape is unknown or depends on the batch otherwise.
 */
function shapeBelowCut(model: LoadedModel, node: NodeProto, input: string, title: string, powersOf: () => Map<string, BatchPowers>): NodeProto[] {
  const x = node.input[0];
  const out = node.output[0];
  const where = `node ${node.name || node.opType} (${node.opType})`;
  const dims = cachedShapeInfo(model.sha256)?.shapes.get(x);
  const p = powersOf().get(x);
  if (!dims || !p || p === 'unknown' || p.length !== dims.length) {
    throw new ModelError(`${title}: ${where} reads the shape of tensor ${x}, below the sub-model inputs, whose static shape is unknown (infer shapes first)`);
  }
  const batchOnAxis0 = p[0] === 1 && dims[0] === 1 && p.slice(1).every((v) => v === 0);
  if (!batchOnAxis0 && !p.every((v) => v === 0)) {
    throw new ModelError(
      `${title}: ${where} reads the shape of tensor ${x}, below the sub-model inputs, and its axes [${p.map((v) => (v === 0 ? 'static' : 'batch-dependent')).join(', ')}] are not the batch axis 0 plus static ones`,
    );
  }
  const name = (suffix: string) => `${out}/below_cut/${suffix}`;
  const i64 = (suffix: string, values: number[]): NodeProto =>
    makeNode('Constant', [], [name(suffix)], { value: makeTensor(name(suffix), [values.length], values) }, name(suffix));
  const opset = model.proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 13;
  const nodes: NodeProto[] = [];
  let full: string;
  if (batchOnAxis0) {
    // [B] from the input, then the static rest.
    nodes.push(makeNode('Shape', [input], [name('input_shape')], {}, name('input_shape')));
    if (Number(opset) >= 10) {
      nodes.push(i64('zero', [0]), i64('one', [1]));
      nodes.push(makeNode('Slice', [name('input_shape'), name('zero'), name('one')], [name('batch')], {}, name('batch')));
    } else {
      nodes.push(makeNode('Slice', [name('input_shape')], [name('batch')], { starts: [0], ends: [1] }, name('batch')));
    }
    nodes.push(i64('rest', dims.slice(1)));
    nodes.push(makeNode('Concat', [name('batch'), name('rest')], [name('full')], { axis: 0 }, name('full')));
    full = name('full');
  } else {
    nodes.push(i64('full', dims));
    full = name('full');
  }
  if (node.opType === 'Size') {
    nodes.push(makeNode('ReduceProd', [full], [out], { keepdims: 0 }, `${node.name || out}/below_cut`));
    return nodes;
  }
  // Shape's start/end attributes (opset 15) select a range of the axes.
  const r = dims.length;
  const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
  const startAttr = node.attribute.find((a) => a.name === 'start');
  const endAttr = node.attribute.find((a) => a.name === 'end');
  const start = clamp(Number(startAttr?.i ?? 0));
  const end = clamp(endAttr ? Number(endAttr.i) : r);
  if (start === 0 && end === r) {
    nodes.push(makeNode('Identity', [full], [out], {}, `${node.name || out}/below_cut`));
  } else {
    nodes.push(i64('start', [start]), i64('end', [Math.max(start, end)]));
    nodes.push(makeNode('Slice', [full, name('start'), name('end')], [out], {}, `${node.name || out}/below_cut`));
  }
  return nodes;
}

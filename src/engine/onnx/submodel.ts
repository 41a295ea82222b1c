/**
 * Sub-models cut out of a loaded model: any set of tensors as inputs, any set as outputs. Nodes are selected by
 * reachability from the outputs back to the inputs; initializers (external data read, `Constant` weights kept
 * as nodes) and shape-only subgraphs come along. The result is a plain ONNX model, ready to encode and run.
 */
import type { ModelProto, NodeProto, TensorProto, ValueInfo } from './proto';
import { DataType, encodeModel } from './proto';
import { makeValueInfo } from './build';
import { cachedShapeInfo } from './shape-cache';
import type { LoadedModel } from './model';
import { ModelError } from '../errors';

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
  const nodes = g.nodes.filter((n) => keep.has(n));
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

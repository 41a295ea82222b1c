/**
 * The model summary computed from the decoded protobuf alone (no model run): inputs, outputs, opset,
 * operator counts and the number of weights.
 */
import * as path from 'node:path';
import { defaultOpset } from '../engine/onnx/build';
import { declaredShape } from '../engine/onnx/model';
import { DATA_TYPE_NAMES, type ModelProto, type ValueInfo } from '../engine/onnx/proto';
import type { ModelSummary, OperatorCount, TensorSummary } from '../protocol/summary';

function tensorSummary(v: ValueInfo): TensorSummary {
  const t = v.type?.tensorType;
  return {
    name: v.name,
    elemType: t ? (DATA_TYPE_NAMES[t.elemType] ?? `type ${t.elemType}`) : 'unknown',
    shape: declaredShape(v) ?? [],
  };
}

const count = (dims: number[]): number => dims.reduce((a, b) => a * Number(b), 1);

export function summariseProto(file: string, sizeBytes: number, model: ModelProto): ModelSummary {
  const g = model.graph;
  const initializers = new Set(g.initializer.map((t) => t.name));
  const ops = new Map<string, number>();
  let parameterCount = g.initializer.reduce((n, t) => n + count(t.dims), 0);
  for (const node of g.node) {
    const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
    ops.set(key, (ops.get(key) ?? 0) + 1);
    if (node.opType === 'Constant') {
      const value = node.attribute.find((a) => a.name === 'value')?.t;
      if (value) parameterCount += count(value.dims);
    }
  }
  const operators: OperatorCount[] = [...ops]
    .map(([opType, n]) => ({ opType, count: n }))
    .sort((a, b) => b.count - a.count || a.opType.localeCompare(b.opType));
  return {
    path: file,
    fileName: path.basename(file),
    sizeBytes,
    irVersion: Number(model.irVersion),
    opset: defaultOpset(model),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    // Old exporters list initializers among the graph inputs: those are weights, not inputs.
    inputs: g.input.filter((v) => !initializers.has(v.name)).map(tensorSummary),
    outputs: g.output.map(tensorSummary),
    operators,
    nodeCount: g.node.length,
    parameterCount,
    layers: [],
  };
}

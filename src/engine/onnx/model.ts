/**
 * Loading an ONNX classifier: the decoded model, its hash, opset, graph index and image input. Weights stay
 * views into the file buffer; external data is read lazily (only when a sub-model or value needs it).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { decodeModel, DataType, DATA_TYPE_NAMES, type ModelProto, type TensorProto, type ValueInfo } from './proto';
import { defaultOpset } from './build';
import { ExternalData, externalFile, externalRef } from './external';
import { locateDamage } from './wire';
import { GraphIndex } from './graph';
import { ModelError, OnnxFormatError } from '../errors';

export interface ModelInput {
  name: string;
  /** Dimensions as declared: numbers, or the symbolic name of a dynamic one (e.g. 'batch'). */
  shape: (number | string)[];
  channels: number;
  /** 0 when the model declares the height (or width) dynamic: take it from the preprocessing settings. */
  height: number;
  width: number;
}

export interface ModelOutput {
  name: string;
  shape: (number | string)[];
}

export interface LoadedModel {
  /** The model file (or the name given to loadModelFromBytes). */
  path: string;
  bytes: Uint8Array;
  proto: ModelProto;
  sha256: string;
  /** The default-domain opset. */
  opset: number;
  graph: GraphIndex;
  input: ModelInput;
  /** The first graph output (the logits of a classifier). */
  output: ModelOutput;
  /** An initializer with its external data read (the tensor itself when inline). */
  resolveTensor(t: TensorProto): TensorProto;
}

export interface LoadOptions {
  /** Accept any single float input instead of an image tensor (rank 4, 1 or 3 channels). Default false. */
  anyInput?: boolean;
}

/** Reads and checks an ONNX model file; external data files are looked up beside it. */
export async function loadModel(file: string, options: LoadOptions = {}): Promise<LoadedModel> {
  if (!existsSync(file)) throw new OnnxFormatError(`${file}: no such file`);
  if (statSync(file).isDirectory()) throw new OnnxFormatError(`${file}: is a folder, not an ONNX file`);
  const bytes = await readFile(file);
  return loadModelFromBytes(bytes, file, path.dirname(path.resolve(file)), options);
}

/**
 * Decodes and checks a model held in memory. `name` names it in messages; `baseDir` is where its external
 * data files are (without it, a model with external data fails when that data is needed).
 */
export function loadModelFromBytes(bytes: Uint8Array, name: string, baseDir?: string, options: LoadOptions = {}): LoadedModel {
  const proto = decode(bytes, name);
  const external = new ExternalData(baseDir, name);
  checkExternalFiles(proto, baseDir, name);
  const graph = new GraphIndex(proto.graph, external.resolve, name);
  const input = describeInput(proto, graph, name, options.anyInput ?? false);
  const outInfo = proto.graph.output[0];
  if (!outInfo) throw new ModelError(`${name}: the graph has no output`);
  return {
    path: name,
    bytes,
    proto,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    opset: defaultOpset(proto),
    graph,
    input,
    output: { name: outInfo.name, shape: declaredShape(outInfo) ?? [] },
    resolveTensor: external.resolve,
  };
}

/**
 * Decodes the model; a file protobuf cannot read is explained by where it breaks (wire.ts): not ONNX at all,
 * truncated (only when the file really ends early) or damaged at a byte offset inside a named message.
 */
function decode(bytes: Uint8Array, name: string): ModelProto {
  try {
    return decodeModel(bytes, name);
  } catch (e) {
    if (!(e instanceof OnnxFormatError) || bytes.length === 0) throw e;
    const damage = locateDamage(bytes);
    if (!damage) {
      if (/no graph, IR version or opset import/.test(e.message)) throw e;
      const why = /\(protobuf decoding failed: (.*)\)$/s.exec(e.message)?.[1] ?? e.message;
      throw new OnnxFormatError(`${name}: not a readable ONNX model: its protobuf structure is sound but decoding failed (${why})`);
    }
    if (!damage.startsLikeOnnx) {
      const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new OnnxFormatError(`${name}: not an ONNX model (it starts with the bytes ${head}, not with a field of an ONNX ModelProto)`);
    }
    if (damage.atBoundary) {
      throw new OnnxFormatError(
        `${name}: the ONNX file ends before the end of ${damage.path}: ${damage.problem}; it was cut short at a field boundary or that length is damaged (copy or export it again)`,
      );
    }
    if (damage.endsEarly) {
      throw new OnnxFormatError(
        `${name}: the ONNX file is truncated: it ends at byte ${bytes.length} inside ${damage.path} (${damage.problem}); copy or export it again`,
      );
    }
    throw new OnnxFormatError(
      `${name}: the ONNX file is damaged at byte ${damage.offset}, in ${damage.path}: ${damage.problem} (the file is corrupt, not cut short; export or copy it again)`,
    );
  }
}

/**
 * External data is checked at load time: every tensor's fields (location inside the model's folder, offset and
 * length whole numbers) and, with the folder known, that each file exists there (the data itself is read later).
 * Nothing outside the model's folder is looked at.
 */
function checkExternalFiles(proto: ModelProto, baseDir: string | undefined, name: string): void {
  const seen = new Set<string>();
  for (const t of proto.graph.initializer ?? []) {
    if (t.dataLocation !== 1) continue;
    const ref = externalRef(t, name);
    if (baseDir === undefined || seen.has(ref.location)) continue;
    seen.add(ref.location);
    externalFile(baseDir, ref.location, name, t.name || 'tensor');
  }
}

/** The declared dims of a value: numbers, symbolic names, or '?' for an unnamed dynamic dim. */
export function declaredShape(info: ValueInfo): (number | string)[] | undefined {
  const dims = info.type?.tensorType?.shape?.dim;
  if (!dims) return undefined;
  return dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : '?'));
}

function describeInput(proto: ModelProto, graph: GraphIndex, name: string, anyInput: boolean): ModelInput {
  const inputs = graph.inputs;
  if (inputs.length === 0) throw new ModelError(`${name}: the graph has no input`);
  if (inputs.length > 1) {
    throw new ModelError(`${name}: the model has ${inputs.length} inputs (${inputs.join(', ')}); an image classifier with one image input is expected`);
  }
  const info = proto.graph.input.find((i) => i.name === inputs[0])!;
  const shape = declaredShape(info) ?? [];
  const elem = info.type?.tensorType?.elemType ?? 0;
  const dim = (i: number) => (typeof shape[i] === 'number' ? (shape[i] as number) : 0);
  const result: ModelInput = { name: info.name, shape, channels: dim(1), height: dim(2), width: dim(3) };
  if (anyInput) return result;
  const shown = `[${shape.join(', ')}]`;
  if (elem !== DataType.FLOAT) {
    throw new ModelError(`${name}: input ${info.name} is ${DATA_TYPE_NAMES[elem] ?? `type ${elem}`}, not an image tensor (float32 N x C x H x W expected)`);
  }
  if (shape.length !== 4) {
    throw new ModelError(
      `${name}: input ${info.name} has shape ${shown} (rank ${shape.length}), not an image tensor (rank 4: N x C x H x W, with 1 or 3 channels)`,
    );
  }
  if (result.channels !== 1 && result.channels !== 3) {
    throw new ModelError(
      `${name}: input ${info.name} has shape ${shown}: ${shape[1]} channels, not an image tensor (N x C x H x W with C = 1 or 3; channels-last inputs are not supported)`,
    );
  }
  return result;
}

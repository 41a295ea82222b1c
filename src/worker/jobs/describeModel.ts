import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { decodeModel } from '../../engine/onnx/proto';
import { loadModelFromBytes } from '../../engine/onnx/model';
import { inferShapes } from '../../engine/onnx/shapes';
import { detectLayers } from '../../engine/onnx/layers';
import { NeurflowError, OnnxFormatError } from '../../engine/errors';
import type { ParamsOf, ResultOf } from '../../protocol/worker';
import { throwIfCancelled, type JobContext } from '../job';
import { summariseProto } from '../summarise';

/**
 * Reads an ONNX file and summarises it (see `ModelSummary`): the protobuf facts for any model, and the
 * analysis layers for an image classifier (one CPU probe run gives the shapes). A model the engine cannot
 * analyse still gets its summary, with the reason in `layersNote`.
 */
export async function describeModel(params: ParamsOf<'describeModel'>, ctx: JobContext): Promise<ResultOf<'describeModel'>> {
  ctx.progress('Reading model');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(params.path);
  } catch (e) {
    throw new OnnxFormatError(`${params.path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  throwIfCancelled(ctx.signal, 'describeModel');
  const summary = summariseProto(params.path, bytes.byteLength, decodeModel(bytes, params.path));
  try {
    const model = loadModelFromBytes(bytes, params.path, path.dirname(params.path));
    ctx.progress('Inferring shapes');
    // The probe is one batch-1 run of a small graph: CPU is always the quickest place for it.
    const shapes = await inferShapes(model, { provider: 'cpu', threads: params.threads });
    throwIfCancelled(ctx.signal, 'describeModel');
    ctx.progress('Detecting layers');
    summary.layers = detectLayers(model, shapes).map((l) => ({ name: l.name, tensor: l.tensor, shape: l.shape, op: l.producerOp }));
  } catch (e) {
    if (!(e instanceof NeurflowError)) throw e;
    summary.layersNote = `No analysis layers: ${e.message}`;
  }
  return summary;
}

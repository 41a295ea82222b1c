import { readFile } from 'node:fs/promises';
import { decodeModel } from '../../engine/onnx/proto';
import { OnnxFormatError } from '../../engine/errors';
import type { ParamsOf, ResultOf } from '../../protocol/worker';
import { throwIfCancelled, type JobContext } from '../job';
import { summariseProto } from '../summarise';

/** Reads an ONNX file and summarises it (see `ModelSummary`). */
export async function describeModel(params: ParamsOf<'describeModel'>, ctx: JobContext): Promise<ResultOf<'describeModel'>> {
  ctx.progress('Reading model');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(params.path);
  } catch (e) {
    throw new OnnxFormatError(`${params.path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  throwIfCancelled(ctx.signal, 'describeModel');
  const proto = decodeModel(bytes, params.path);
  const summary = summariseProto(params.path, bytes.byteLength, proto);
  summary.layersNote = 'Layer detection is not available yet: showing inputs, outputs and operators.';
  return summary;
}

/**
 * `locateModule`: what the ONNX graph says about where a layer's module comes from, for Jump to Code: the module
 * path (name-scope metadata, else the node names, else the layer name), the module classes, and the stack trace
 * frames the exporter recorded on the layer's producer node (or on another node of the same module).
 */
import { readFile } from 'node:fs/promises';
import { moduleName } from '../../engine/onnx/layers';
import { decodeModel, type NodeProto } from '../../engine/onnx/proto';
import { ModelError, OnnxFormatError } from '../../engine/errors';
import type { LocateModuleParams, ModuleLocation } from '../../protocol/analysis';
import type { JobContext } from '../job';
import { CLASS_HIERARCHY, moduleOfScopes, NAME_SCOPES, parsePyStrings, parseStackTrace, STACK_TRACE } from '../trace';

const meta = (node: NodeProto, key: string) => node.metadataProps?.find((e) => e.key === key)?.value;

export async function locateModule(params: LocateModuleParams, ctx: JobContext): Promise<ModuleLocation> {
  ctx.progress('Reading the model');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(params.model);
  } catch (e) {
    throw new OnnxFormatError(`${params.model}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const nodes = decodeModel(bytes, params.model).graph.node;
  const producer = nodes.find((n) => n.output.includes(params.tensor));
  if (!producer) throw new ModelError(`${params.model}: no node produces tensor ${params.tensor} (layer ${params.layer})`);
  const scopes = parsePyStrings(meta(producer, NAME_SCOPES));
  const modulePath = moduleOfScopes(scopes, params.layer) ?? moduleName(producer.name) ?? params.layer;
  // The producer may be a bare op (Add, Relu) with no trace: any node of the same module tells where it is.
  const inModule = (n: NodeProto) => {
    const s = parsePyStrings(meta(n, NAME_SCOPES));
    return s.length > 0 ? s.includes(modulePath) : moduleName(n.name) === modulePath;
  };
  const traced = [producer, ...nodes.filter((n) => n !== producer && inModule(n))].find((n) => meta(n, STACK_TRACE));
  const frames = parseStackTrace(traced && meta(traced, STACK_TRACE));
  const classes = parsePyStrings(meta(producer, CLASS_HIERARCHY));
  const depth = scopes.indexOf(modulePath);
  return {
    modulePath,
    classes: depth >= 0 ? classes.slice(0, depth + 1) : classes,
    frames,
    node: traced?.name ?? producer.name ?? params.tensor,
  };
}

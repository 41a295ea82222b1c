/**
 * Host <-> analysis worker protocol (over Node IPC of a forked child process). One module, imported by both
 * ends: the method table gives every request its params and result types; messages are discriminated on
 * `kind`; every message is checked at the boundary with `parseHostMessage` / `parseWorkerMessage`.
 *
 * Flow: the host sends `request {id, method, params}`; the worker answers with any number of `progress {id}`
 * events and then exactly one `result {id}` or `error {id, err}`. `cancel {id}` asks the worker to stop a job:
 * it answers with `error {id, err: {name: 'CancelledError'}}` (the host kills the worker if it does not within
 * a grace period). To add a job: a method here, a handler in `src/worker/jobs/`, an entry in the worker's table.
 */
import {
  type AnalyseOutcome,
  type AnalyseParams,
  AnalyseParamsSchema,
  type ExplainImageParams,
  ExplainImageParamsSchema,
  type ImageExplanation,
  type LocateModuleParams,
  LocateModuleParamsSchema,
  type MaskGroupParams,
  MaskGroupParamsSchema,
  type MaskOutcome,
  type ModuleLocation,
  type RegroupParams,
  RegroupParamsSchema,
  type ScanParams,
  ScanParamsSchema,
  type ScanSummary,
} from './analysis';
import {
  type AnalyseBatchOutcome,
  type AnalyseBatchParams,
  AnalyseBatchParamsSchema,
  type BatchExplanation,
  type CheckpointComparison,
  type CompareCheckpointsParams,
  CompareCheckpointsParamsSchema,
  type ExplainBatchParams,
  ExplainBatchParamsSchema,
} from './batch';
import type { ModelSummary } from './summary';
import { type AuditParams, AuditParamsSchema, type AuditView } from './audit';
import * as v from 'valibot';
import { check, conforms, dict, index } from '../engine/util/checked';
import { ExecutionProviderSchema } from './provider';

export { EXECUTION_PROVIDERS, type ExecutionProvider } from './provider';

const PingParamsSchema = v.object({ delayMs: v.optional(index) });
const DescribeModelParamsSchema = v.object({ path: v.string(), provider: ExecutionProviderSchema, threads: v.optional(index) });

export interface WorkerMethods {
  /** Liveness and cancellation probe: answers after `delayMs` (cancellable while waiting). */
  ping: { params: v.InferOutput<typeof PingParamsSchema>; result: { pid: number; node: string } };
  /** Inputs, outputs, opset, operator counts and the detected layers of an ONNX file. */
  describeModel: { params: v.InferOutput<typeof DescribeModelParamsSchema>; result: ModelSummary };
  /** Explain Batch: the misclassified samples of a batch a debuggee wrote to .npy files, with their groups. */
  explainBatch: { params: ExplainBatchParams; result: BatchExplanation };
  /** Explain Batch on a model the debuggee exported: the analysis of the classes the batch gets wrong, on the batch. */
  analyseBatch: { params: AnalyseBatchParams; result: AnalyseBatchOutcome };
  /** Compare with previous checkpoint: how much each group's channels changed between two exports of a model. */
  compareCheckpoints: { params: CompareCheckpointsParams; result: CheckpointComparison };
  /** Predictions over a dataset for the class picker (the full scan is kept for the analysis that follows). */
  scan: { params: ScanParams; result: ScanSummary };
  /** The NeurFlow analysis of one class; a cancel answers with the finished layers (`doc.complete` false). */
  analyse: { params: AnalyseParams; result: AnalyseOutcome };
  /** One image against a saved result at one layer: the groups' scores and evidence boxes. */
  explainImage: { params: ExplainImageParams; result: ImageExplanation };
  /** One image with a group's channels zeroed at its layer: the class probability before and after. */
  maskGroup: { params: MaskGroupParams; result: MaskOutcome };
  /** Where the module of a layer comes from (name scopes, stack trace metadata), for Jump to Code. */
  locateModule: { params: LocateModuleParams; result: ModuleLocation };
  /** Saves a layer's new group count in a result file. */
  regroup: { params: RegroupParams; result: { groupCount: number } };
  /** Label error or shortcut? The scan's suspects sorted with the circuit. */
  audit: { params: AuditParams; result: AuditView };
}

export type WorkerMethod = keyof WorkerMethods;
export type ParamsOf<M extends WorkerMethod> = WorkerMethods[M]['params'];

/** The params of every method, declared once: their types above are inferred from these, and the worker checks
 * a request's params against them before its job runs. */
export const WORKER_PARAMS: { [M in WorkerMethod]: v.GenericSchema<unknown, ParamsOf<M>> } = {
  ping: PingParamsSchema,
  describeModel: DescribeModelParamsSchema,
  explainBatch: ExplainBatchParamsSchema,
  analyseBatch: AnalyseBatchParamsSchema,
  compareCheckpoints: CompareCheckpointsParamsSchema,
  scan: ScanParamsSchema,
  analyse: AnalyseParamsSchema,
  explainImage: ExplainImageParamsSchema,
  maskGroup: MaskGroupParamsSchema,
  locateModule: LocateModuleParamsSchema,
  regroup: RegroupParamsSchema,
  audit: AuditParamsSchema,
};

/** A request's params checked against its method's schema; a ProtocolError naming the method and field otherwise. */
export function checkParams<M extends WorkerMethod>(method: M, params: unknown): ParamsOf<M> {
  const r = check(WORKER_PARAMS[method], params);
  if (!r.ok) throw new ProtocolError(`worker: params of ${method}: ${r.error}`);
  return r.value;
}
export type ResultOf<M extends WorkerMethod> = WorkerMethods[M]['result'];

export const WORKER_METHODS: readonly WorkerMethod[] = [
  'ping',
  'describeModel',
  'explainBatch',
  'analyseBatch',
  'compareCheckpoints',
  'scan',
  'analyse',
  'explainImage',
  'maskGroup',
  'locateModule',
  'regroup',
  'audit',
];

export type RequestMessage = {
  [M in WorkerMethod]: { kind: 'request'; id: number; method: M; params: ParamsOf<M> };
}[WorkerMethod];

/**
 * The envelope of a request: its params are an object whose shape the method table gives (the job checks what
 * it reads), so the check cannot infer RequestMessage; parseHostMessage joins the two.
 */
const RequestEnvelopeSchema = v.object({
  kind: v.literal('request'),
  id: index,
  method: v.picklist(WORKER_METHODS),
  params: dict(v.unknown()),
});

export const CancelMessageSchema = v.object({ kind: v.literal('cancel'), id: index });
export type CancelMessage = v.InferOutput<typeof CancelMessageSchema>;

export type HostMessage = RequestMessage | CancelMessage;

/** Sent once when the worker is up. */
export const HelloMessageSchema = v.object({ kind: v.literal('hello'), pid: v.number() });
export type HelloMessage = v.InferOutput<typeof HelloMessageSchema>;

export const ProgressMessageSchema = v.object({
  kind: v.literal('progress'),
  id: index,
  /** Short stage text, e.g. "Reading model" or "Layer layer3.1: core neurons". */
  stage: v.string(),
  done: v.optional(v.number()),
  total: v.optional(v.number()),
  /** An intermediate result of the job (the analysis: the result document of the finished layers). */
  partial: v.optional(v.unknown()),
});
export type ProgressMessage = v.InferOutput<typeof ProgressMessageSchema>;

export const ResultMessageSchema = v.object({ kind: v.literal('result'), id: index, result: v.unknown() });
export type ResultMessage = v.InferOutput<typeof ResultMessageSchema>;

/** A serialised error: `name` is the error class (`OnnxFormatError`, `CancelledError`, ...). */
export const WireErrorSchema = v.object({ name: v.string(), message: v.string(), stack: v.optional(v.string()) });
export type WireError = v.InferOutput<typeof WireErrorSchema>;

export const ErrorMessageSchema = v.object({ kind: v.literal('error'), id: index, err: WireErrorSchema });
export type ErrorMessage = v.InferOutput<typeof ErrorMessageSchema>;

export const WorkerMessageSchema = v.variant('kind', [HelloMessageSchema, ProgressMessageSchema, ResultMessageSchema, ErrorMessageSchema]);
export type WorkerMessage = v.InferOutput<typeof WorkerMessageSchema>;

const HostMessageSchema = v.variant('kind', [RequestEnvelopeSchema, CancelMessageSchema]);

/** A message that fails the runtime check at the boundary. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

function describe(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

/** Checks a message received by the worker. */
export function parseHostMessage(x: unknown): HostMessage {
  if (conforms(HostMessageSchema, x)) return x as HostMessage; // a request's params: see RequestEnvelopeSchema
  throw new ProtocolError(`worker: malformed message from the host: ${describe(x)}`);
}

/** Checks a message received by the host. */
export function parseWorkerMessage(x: unknown): WorkerMessage {
  if (conforms(WorkerMessageSchema, x)) return x;
  throw new ProtocolError(`host: malformed message from the worker: ${describe(x)}`);
}

/** Serialises any thrown value for the wire. */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

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
import type {
  AnalyseOutcome, AnalyseParams, ExplainImageParams, ImageExplanation, LocateModuleParams, MaskGroupParams, MaskOutcome,
  ModuleLocation, RegroupParams, ScanParams, ScanSummary,
} from './analysis';
import type { BatchExplanation, ExplainBatchParams } from './batch';
import type { ModelSummary } from './summary';
import type { AuditParams, AuditView } from './audit';

export interface WorkerMethods {
  /** Liveness and cancellation probe: answers after `delayMs` (cancellable while waiting). */
  ping: { params: { delayMs?: number }; result: { pid: number; node: string } };
  /** Inputs, outputs, opset, operator counts and the detected layers of an ONNX file. */
  describeModel: { params: { path: string; provider: ExecutionProvider; threads?: number }; result: ModelSummary };
  /** Explain Batch: the misclassified samples of a batch a debuggee wrote to .npy files, with their groups. */
  explainBatch: { params: ExplainBatchParams; result: BatchExplanation };
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
  /** Label error or shortcut? The scan's suspects sorted with the circuit (issue 16). */
  audit: { params: AuditParams; result: AuditView };
}

export type ExecutionProvider = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];

export type WorkerMethod = keyof WorkerMethods;
export type ParamsOf<M extends WorkerMethod> = WorkerMethods[M]['params'];
export type ResultOf<M extends WorkerMethod> = WorkerMethods[M]['result'];

export const WORKER_METHODS: readonly WorkerMethod[] = [
  'ping', 'describeModel', 'explainBatch', 'scan', 'analyse', 'explainImage', 'maskGroup', 'locateModule', 'regroup', 'audit',
];

export type RequestMessage = {
  [M in WorkerMethod]: { kind: 'request'; id: number; method: M; params: ParamsOf<M> };
}[WorkerMethod];

export interface CancelMessage { kind: 'cancel'; id: number }

export type HostMessage = RequestMessage | CancelMessage;

/** Sent once when the worker is up. */
export interface HelloMessage { kind: 'hello'; pid: number }

export interface ProgressMessage {
  kind: 'progress';
  id: number;
  /** Short stage text, e.g. "Reading model" or "Layer layer3.1: core neurons". */
  stage: string;
  done?: number;
  total?: number;
}

export interface ResultMessage { kind: 'result'; id: number; result: unknown }

/** A serialised error: `name` is the error class (`OnnxFormatError`, `CancelledError`, ...). */
export interface WireError { name: string; message: string; stack?: string }

export interface ErrorMessage { kind: 'error'; id: number; err: WireError }

export type WorkerMessage = HelloMessage | ProgressMessage | ResultMessage | ErrorMessage;

/** A message that fails the runtime check at the boundary. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isId = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

function describe(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

/** Checks a message received by the worker. */
export function parseHostMessage(x: unknown): HostMessage {
  if (isObject(x) && isId(x.id)) {
    if (x.kind === 'cancel') return x as unknown as CancelMessage;
    if (x.kind === 'request' && WORKER_METHODS.includes(x.method as WorkerMethod) && isObject(x.params)) {
      return x as unknown as RequestMessage;
    }
  }
  throw new ProtocolError(`worker: malformed message from the host: ${describe(x)}`);
}

/** Checks a message received by the host. */
export function parseWorkerMessage(x: unknown): WorkerMessage {
  if (isObject(x)) {
    if (x.kind === 'hello' && typeof x.pid === 'number') return x as unknown as HelloMessage;
    if (isId(x.id)) {
      if (x.kind === 'progress' && typeof x.stage === 'string') return x as unknown as ProgressMessage;
      if (x.kind === 'result' && 'result' in x) return x as unknown as ResultMessage;
      if (x.kind === 'error' && isObject(x.err) && typeof x.err.name === 'string' && typeof x.err.message === 'string') {
        return x as unknown as ErrorMessage;
      }
    }
  }
  throw new ProtocolError(`host: malformed message from the worker: ${describe(x)}`);
}

/** Serialises any thrown value for the wire. */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

/**
 * The host's client of the analysis worker (a forked `dist/worker.js`). Started lazily on the first request,
 * restarted after a crash, disposed with the extension. Every request has a timeout and can be cancelled;
 * a cancelled job that does not stop within the grace period gets the worker killed. Imports nothing of
 * `vscode`, so it also runs in plain Node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import {
  parseWorkerMessage,
  type ProtocolError,
  type ParamsOf,
  type ProgressMessage,
  type ResultOf,
  type WireError,
  type WorkerMethod,
} from '../protocol/worker';

export interface WorkerClientOptions {
  /** Absolute path of the worker bundle. */
  script: string;
  /** Extra environment for the worker (merged over this process's). */
  env?: Record<string, string>;
  /** Default per-request timeout (ms). */
  timeoutMs?: number;
  /** How long a cancelled job may take to stop before the worker is killed (ms). */
  cancelGraceMs?: number;
  /** Where the worker's stderr/stdout and lifecycle lines go. */
  log?: (line: string) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (p: ProgressMessage) => void;
  timeoutMs?: number;
  /**
   * On abort, wait for the job's own answer (a job that keeps partial work, like `analyse`, answers with it)
   * instead of rejecting at once; the worker is still killed if no answer comes within the grace period.
   */
  awaitCancelled?: boolean;
}

/** An error that happened in the worker, with the worker-side class name in `name`. */
export class WorkerError extends Error {
  constructor(err: WireError) {
    super(err.message);
    this.name = err.name;
    if (err.stack) this.stack = err.stack;
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: ProgressMessage) => void;
  cleanup(): void;
}

export class WorkerClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(private readonly options: WorkerClientOptions) {}

  /** The worker's process id, when it is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  request<M extends WorkerMethod>(method: M, params: ParamsOf<M>, opts: RequestOptions = {}): Promise<ResultOf<M>> {
    if (this.disposed) return Promise.reject(new Error('the NeurFlow worker has been disposed'));
    if (opts.signal?.aborted) return Promise.reject(cancelled(method));
    const child = this.ensureStarted();
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? 10 * 60_000;
      let graceTimer: NodeJS.Timeout | undefined;
      const stop = (error: Error) => {
        // Ask the worker to stop; kill it if the job does not end in time.
        child.send({ kind: 'cancel', id });
        graceTimer = setTimeout(() => {
          this.options.log?.(`worker: request ${id} (${method}) did not stop after cancel; killing the worker`);
          this.kill();
        }, this.options.cancelGraceMs ?? 2000);
        finish(error);
      };
      const timer = setTimeout(() => stop(new Error(`NeurFlow worker: ${method} timed out after ${timeoutMs} ms`)), timeoutMs);
      const onAbort = () => {
        if (!opts.awaitCancelled) return stop(cancelled(method));
        child.send({ kind: 'cancel', id });
        graceTimer = setTimeout(() => {
          this.options.log?.(`worker: request ${id} (${method}) did not answer after cancel; killing the worker`);
          finish(cancelled(method));
          this.kill();
        }, this.options.cancelGraceMs ?? 2000);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      let settled = false;
      const finish = (error: Error | undefined, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value as ResultOf<M>);
      };
      this.pending.set(id, {
        resolve: (v) => finish(undefined, v),
        reject: (e) => finish(e),
        onProgress: opts.onProgress,
        cleanup: () => {
          clearTimeout(graceTimer);
          this.pending.delete(id);
        },
      });
      child.send({ kind: 'request', id, method, params });
    });
  }

  /** Kills the worker; pending requests fail. The next request starts a new one. */
  kill(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  dispose(): void {
    this.disposed = true;
    this.kill();
    this.child = undefined;
  }

  private ensureStarted(): ChildProcess {
    if (this.child?.connected) return this.child;
    const log = this.options.log;
    const child = fork(this.options.script, [], {
      // Under VS Code the host's executable is Electron (or code-server's Node): run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...this.options.env },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    log?.(`worker: started pid ${child.pid}`);
    child.stdout?.on('data', (d: Buffer) => log?.(`worker: ${d.toString().trimEnd()}`));
    child.stderr?.on('data', (d: Buffer) => log?.(`worker: ${d.toString().trimEnd()}`));
    child.on('message', (raw) => this.onMessage(raw));
    child.on('exit', (code, signal) => {
      log?.(`worker: pid ${child.pid} exited (${signal ?? `code ${code}`})`);
      if (this.child === child) this.child = undefined;
      for (const [, p] of this.pending) {
        p.reject(new Error(`the NeurFlow worker stopped (${signal ?? `exit code ${code}`}) before answering`));
        p.cleanup();
      }
    });
    child.on('error', (e) => log?.(`worker: ${e.message}`));
    return child;
  }

  private onMessage(raw: unknown): void {
    let message: ReturnType<typeof parseWorkerMessage>;
    try {
      message = parseWorkerMessage(raw);
    } catch (e) {
      this.options.log?.((e as ProtocolError).message);
      return;
    }
    if (message.kind === 'hello') return;
    const p = this.pending.get(message.id);
    if (!p) return; // answer to a request that already timed out or was cancelled
    if (message.kind === 'progress') {
      p.onProgress?.(message);
      return;
    }
    if (message.kind === 'result') p.resolve(message.result);
    else p.reject(new WorkerError(message.err));
    p.cleanup();
  }
}

function cancelled(method: string): Error {
  return new WorkerError({ name: 'CancelledError', message: `${method} was cancelled` });
}

/** What a worker job receives besides its params. */
export interface JobContext {
  /** Aborted when the host cancels the request; long jobs check it between steps (at least every second). */
  signal: AbortSignal;
  /** Streams a progress event to the host. */
  progress(stage: string, done?: number, total?: number): void;
  /** Streams an intermediate result (e.g. the circuit of the finished layers) to the host. */
  partial?(result: unknown): void;
}

export type Job<P, R> = (params: P, ctx: JobContext) => Promise<R>;

/** Thrown by a job that stopped because its request was cancelled. */
export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled`);
    this.name = 'CancelledError';
  }
}

/** Throws CancelledError when the signal is aborted. */
export function throwIfCancelled(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new CancelledError(what);
}

/**
 * The analysis worker: a child process forked by the extension host (`dist/worker.js`). It owns onnxruntime
 * and the engine, runs one job per request, streams progress and honours cancellation. A crash here does not
 * take the extension host down; the host restarts the worker on the next request.
 */
import { checkParams, parseHostMessage, toWireError, type RequestMessage, type WorkerMessage } from '../protocol/worker';
import { JOBS } from './table';
import type { Job } from './job';

const running = new Map<number, AbortController>();

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function runRequest(req: RequestMessage): Promise<void> {
  const controller = new AbortController();
  running.set(req.id, controller);
  const ctx = {
    signal: controller.signal,
    progress: (stage: string, done?: number, total?: number) => send({ kind: 'progress', id: req.id, stage, done, total }),
    partial: (result: unknown) => send({ kind: 'progress', id: req.id, stage: 'Partial result', partial: result }),
  };
  try {
    const job = JOBS[req.method] as Job<unknown, unknown>;
    const result = await job(checkParams(req.method, req.params), ctx);
    send({ kind: 'result', id: req.id, result });
  } catch (e) {
    const err = toWireError(e);
    if (controller.signal.aborted) err.name = 'CancelledError';
    send({ kind: 'error', id: req.id, err });
  } finally {
    running.delete(req.id);
  }
}

function onMessage(raw: unknown): void {
  let message: ReturnType<typeof parseHostMessage>;
  try {
    message = parseHostMessage(raw);
  } catch (e) {
    const id = (raw as { id?: unknown })?.id;
    if (typeof id === 'number') send({ kind: 'error', id, err: toWireError(e) });
    else console.error((e as Error).message);
    return;
  }
  if (message.kind === 'cancel') running.get(message.id)?.abort();
  else void runRequest(message);
}

if (!process.send) {
  console.error('dist/worker.js is the NeurFlow analysis worker: it is started by the extension (child_process.fork).');
  process.exit(2);
}
process.on('message', onMessage);
// The host going away (disconnect) ends the worker: it must never outlive VS Code.
process.on('disconnect', () => process.exit(0));
send({ kind: 'hello', pid: process.pid });

import type { ParamsOf, ResultOf } from '../../protocol/worker';
import { CancelledError, type JobContext } from '../job';

/** Answers after `delayMs`; a cancel while waiting ends it at once. */
export async function ping(params: ParamsOf<'ping'>, ctx: JobContext): Promise<ResultOf<'ping'>> {
  const delay = Math.max(0, params.delayMs ?? 0);
  if (delay > 0) {
    ctx.progress('Waiting', 0, delay);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, delay);
      ctx.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(new CancelledError('ping'));
        },
        { once: true },
      );
    });
  }
  return { pid: process.pid, node: process.version };
}

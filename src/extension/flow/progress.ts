/**
 * A worker request under a cancellable progress notification: the worker's stage messages go to the
 * notification and to the panel's banner (throttled); Cancel (or the caller's signal) aborts the request. With
 * `keepPartial`, the notification says that finished work is kept while the job winds down.
 */
import * as vscode from 'vscode';
import type { ProgressMessage } from '../../protocol/worker';
import type { ModelPanel } from '../panel';
import { throttled } from './throttle';

export interface ProgressHooks {
  signal: AbortSignal;
  onProgress: (p: ProgressMessage) => void;
}

const MAX_STAGES = 1000;
/**
 * The notification and the banner show at most one stage per interval (the latest; the last one after a pause):
 * the worker reports every batch, hundreds a second at the start of an analysis, and each shown stage is a round
 * trip to the workbench.
 */
const SHOW_INTERVAL_MS = 150;

/** `Scanning 400 images 45%`: a fraction for stages whose text does not count by itself. */
function describe(p: ProgressMessage): string {
  const counted = /\d+\/\d+/.test(p.stage);
  return !counted && p.total && p.total > 0 && p.done !== undefined ? `${p.stage} ${Math.round((100 * p.done) / p.total)}%` : p.stage;
}

export function withWorkerProgress<T>(
  title: string,
  panel: ModelPanel,
  stages: string[],
  external: AbortSignal | undefined,
  start: (hooks: ProgressHooks) => Promise<T>,
  options: { keepPartial?: boolean; onStage?: (stage: string) => void; onPartial?: (result: unknown) => void } = {},
): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const abort = () => {
      if (controller.signal.aborted) return;
      controller.abort();
      progress.report({ message: options.keepPartial ? 'Cancelling: keeping the finished layers' : 'Cancelling' });
    };
    const subscription = token.onCancellationRequested(abort);
    external?.addEventListener('abort', abort, { once: true });
    if (external?.aborted) abort();
    panel.post({ type: 'activity', running: true, title, stage: 'Starting' });
    const shown = throttled<ProgressMessage>(SHOW_INTERVAL_MS, (p) => {
      if (controller.signal.aborted) return;
      progress.report({ message: describe(p) });
      panel.post({ type: 'activity', running: true, title, stage: p.stage, done: p.done, total: p.total });
    });
    try {
      return await start({
        signal: controller.signal,
        onProgress: (p) => {
          if (p.partial !== undefined) {
            if (!controller.signal.aborted) options.onPartial?.(p.partial);
            return;
          }
          if (stages.at(-1) !== p.stage && stages.length < MAX_STAGES) stages.push(p.stage);
          options.onStage?.(p.stage);
          if (controller.signal.aborted) return;
          shown.push(p);
        },
      });
    } finally {
      shown.cancel();
      subscription.dispose();
      external?.removeEventListener('abort', abort);
    }
  });
}

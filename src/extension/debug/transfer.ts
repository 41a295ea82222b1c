/**
 * Moving a batch out of a paused Python program without pushing it through strings: one DAP `evaluate` of the
 * snippet (snippet.ts) makes the debuggee `np.save` the arrays into a fresh temporary folder; only the short
 * report comes back. No VS Code here: the caller passes the evaluate function (a `DebugSession.customRequest`
 * in the extension, a raw DAP client in the benchmark and the unit tests).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataError } from '../../engine/errors';
import type { TransferredArray } from '../../protocol/batch';
import { buildSnippet, META_FILE, parseReport, type ArrayRequest, type SnippetFailure, type SnippetReport } from './snippet';

/** Evaluates a Python expression in the paused frame; resolves with the value's text, rejects with DAP's error. */
export type Evaluate = (expression: string) => Promise<string>;

export interface BatchExpressions {
  /** Candidate expressions for the images, tried in order. */
  images: string[];
  labels: string[];
  /** Candidates for the debuggee's own predictions (optional: none found is fine). */
  predictions?: string[];
}

export const DEFAULT_EXPRESSIONS: Required<BatchExpressions> = {
  images: ['images', 'inputs', 'x'],
  labels: ['labels', 'targets', 'y'],
  predictions: ['preds', 'predictions', 'outputs', 'logits'],
};

export interface Transfer {
  /** The folder holding the `.npy` files; delete it with `dispose()` once they are read. */
  dir: string;
  images: TransferredArray;
  labels: TransferredArray;
  predictions?: TransferredArray;
  /** Bytes written by the debuggee. */
  bytes: number;
  /** Wall time of the evaluate (write included), ms. */
  ms: number;
  report: SnippetReport;
  dispose(): void;
}

function describeFailures(what: string, tried: SnippetFailure[], where: string): string {
  if (tried.length === 0) return `no expression for the ${what} was given`;
  const lines = tried.map((f) => {
    if (f.reason === 'eval') return `\`${f.expression}\` raised ${f.type}: ${f.message}`;
    if (f.reason === 'not-array') return `\`${f.expression}\` is ${f.message}, not an array or tensor`;
    return `\`${f.expression}\` could not be converted to a NumPy array (${f.type}: ${f.message})`;
  });
  return `no ${what} found in ${where}: ${lines.join('; ')}`;
}

/**
 * Runs the transfer. `where` names the frame in messages (e.g. `frame evaluate at eval_loop.py:23`).
 * Throws DataError naming the expressions when the images or labels are missing, are not arrays or fail to
 * convert; the temporary folder is removed on failure.
 */
export async function transferBatch(evaluate: Evaluate, exprs: BatchExpressions, where: string, parent = tmpdir()): Promise<Transfer> {
  const dir = mkdtempSync(path.join(parent, 'neurflow-batch-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const items: ArrayRequest[] = [
      { key: 'images', candidates: exprs.images, kind: 'float32' },
      { key: 'labels', candidates: exprs.labels, kind: 'index' },
    ];
    if (exprs.predictions && exprs.predictions.length > 0) items.push({ key: 'predictions', candidates: exprs.predictions, kind: 'index', optional: true });
    const t0 = performance.now();
    let value: string;
    try {
      value = await evaluate(buildSnippet(dir, items));
    } catch (e) {
      throw new DataError(`the debugger could not run NeurFlow's export in ${where}: ${(e as Error).message}`);
    }
    const ms = performance.now() - t0;
    let text: string;
    try {
      text = readFileSync(path.join(dir, META_FILE), 'utf8');
    } catch {
      throw new DataError(
        `the debugged program wrote no report to ${dir} (is it running on another machine or in a container? ` +
          `Explain Batch needs the debuggee and VS Code to share the file system). The debugger answered: ${value.slice(0, 300)}`,
      );
    }
    const report = parseReport(text, path.join(dir, META_FILE));
    if (!report.ok) throw new DataError(`NeurFlow's export failed in ${where}: ${report.error ?? 'unknown error'}`);
    const pick = (key: 'images' | 'labels' | 'predictions', what: string): TransferredArray | undefined => {
      const a = report.arrays[key];
      if (!a) return undefined;
      if ('missing' in a) {
        if (key === 'predictions') return undefined;
        throw new DataError(describeFailures(what, a.tried, where));
      }
      return { expression: a.expression, path: a.path, shape: a.shape, dtype: a.dtype, source: a.source };
    };
    const images = pick('images', 'images')!;
    const labels = pick('labels', 'labels')!;
    const predictions = pick('predictions', 'predictions');
    const size = (a: TransferredArray | undefined) => (a ? a.shape.reduce((x, y) => x * y, 1) * (/64$/.test(a.dtype) ? 8 : 4) : 0);
    const bytes = size(images) + size(labels) + size(predictions);
    return { dir, images, labels, predictions, bytes, ms, report, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

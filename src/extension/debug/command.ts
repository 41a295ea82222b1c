/**
 * NeurFlow: Explain Batch (docs/design.md 7). While a Python debug session is paused: export the batch in scope from the
 * selected frame (transfer.ts: the debuggee writes .npy files, nothing big travels through DAP), let the worker
 * predict and explain the misclassified samples with the model's saved analyses, and show the result in the
 * model's panel (the batch view, with "Go to Paused Line") once the webview reports it rendered. Resolves with a
 * report (used by tests).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../config';
import type { Services } from '../services';
import type { BatchMessage } from '../../protocol/batch';
import { chooseAnalyses, chooseModel } from './choose';
import { evaluator, pausedFrame, type PausedFrame } from './frame';
import { BatchMemory } from './memory';
import { DEFAULT_EXPRESSIONS, transferBatch, type BatchExpressions, type Transfer } from './transfer';

export const EXPLAIN_BATCH_COMMAND = 'neurflow.explainBatch';

/** Arguments a caller (a test, a keybinding, the Variables view) may pass; anything missing is remembered or asked. */
export interface ExplainBatchArgs {
  images?: string;
  labels?: string;
  /** '' = none. */
  predictions?: string;
  model?: string;
  results?: string[];
  layer?: string;
  /** Never show quick picks or input boxes (fail instead). */
  noPrompt?: boolean;
}

export type ExplainFailure = 'no-session' | 'untrusted' | 'no-model' | 'no-analysis' | 'expression' | 'shape' | 'cancelled' | 'error';

export type ExplainBatchReport =
  /** `rendered`: the misclassified sample indices the batch view shows; `sample`: the sample it selected first and
   * its groups (`layer/G<index>`), as the webview reported them. */
  | { ok: true; message: BatchMessage; panel: string; rendered: string[]; sample: string[] }
  | { ok: false; kind: ExplainFailure; error: string };

class Failure extends Error {
  constructor(readonly kind: ExplainFailure, message: string) {
    super(message);
  }
}

/** The Variables view passes `{ variable: { evaluateName } }`: that variable is the images. */
function argsFrom(raw: unknown): ExplainBatchArgs {
  if (typeof raw !== 'object' || raw === null) return {};
  const variable = (raw as { variable?: { evaluateName?: unknown; name?: unknown } }).variable;
  if (variable) {
    const expr = typeof variable.evaluateName === 'string' ? variable.evaluateName : typeof variable.name === 'string' ? variable.name : undefined;
    return expr ? { images: expr } : {};
  }
  return raw as ExplainBatchArgs;
}

function where(frame: PausedFrame): string {
  return `${frame.name} at ${path.basename(frame.path)}:${frame.line}`;
}

async function askExpression(what: string, tried: string[]): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'NeurFlow: Explain Batch',
    prompt: `Python expression that holds the ${what} in the paused frame (tried: ${tried.join(', ')})`,
    placeHolder: what === 'images' ? 'e.g. batch["pixel_values"] or images' : 'e.g. batch["label"] or targets',
    ignoreFocusOut: true,
  });
}

/** Exports the batch; on a missing expression asks for it (unless told not to) and tries again once. */
async function transfer(frame: PausedFrame, exprs: BatchExpressions, memory: BatchMemory, prompt: boolean): Promise<Transfer> {
  try {
    return await transferBatch(evaluator(frame), exprs, where(frame));
  } catch (e) {
    const message = (e as Error).message;
    const missing = /^no (images|labels) found/.exec(message)?.[1] as 'images' | 'labels' | undefined;
    if (!missing) throw new Failure('error', message);
    if (!prompt) throw new Failure('expression', message);
    await memory.forgetExpressions();
    const answer = await askExpression(missing, exprs[missing]);
    if (!answer) throw new Failure('expression', message);
    const retry = { ...exprs, [missing]: [answer] };
    try {
      return await transferBatch(evaluator(frame), retry, where(frame));
    } catch (e2) {
      throw new Failure('expression', (e2 as Error).message);
    }
  }
}

function offerAnalysis(model: string): void {
  const analyse = 'Analyse Model';
  void vscode.window.showErrorMessage(
    `NeurFlow: no analysis of ${path.basename(model)} exists yet. Explain Batch shows the neuron groups of a saved analysis: analyse the model (for the class you are debugging) first.`,
    analyse,
  ).then((pick) => {
    if (pick === analyse) void vscode.commands.executeCommand('neurflow.analyseModel', vscode.Uri.file(model));
  });
}

async function run(services: Services, context: vscode.ExtensionContext, args: ExplainBatchArgs): Promise<ExplainBatchReport> {
  const memory = new BatchMemory(context.workspaceState);
  const prompt = !args.noPrompt;
  let frame: PausedFrame;
  try {
    frame = await pausedFrame();
  } catch (e) {
    throw new Failure('no-session', (e as Error).message);
  }
  if (!vscode.workspace.isTrusted) throw new Failure('untrusted', 'Explain Batch runs the model: trust this workspace first');
  const model = await chooseModel(memory, args.model);
  if (!model) throw new Failure('no-model', 'no ONNX model was chosen');
  const analyses = await chooseAnalyses(memory, context, model, args.results);
  if (analyses.length === 0) {
    if (prompt) offerAnalysis(model);
    throw new Failure('no-analysis', `no analysis of ${model} exists yet${args.results ? ` (the given files are not analyses of this model: ${args.results.join(', ')})` : ''}; run NeurFlow: Analyse Model on it first`);
  }
  const saved = memory.get();
  const exprs: BatchExpressions = {
    images: args.images ? [args.images] : saved.images ? [saved.images] : DEFAULT_EXPRESSIONS.images,
    labels: args.labels ? [args.labels] : saved.labels ? [saved.labels] : DEFAULT_EXPRESSIONS.labels,
    predictions: args.predictions !== undefined ? (args.predictions ? [args.predictions] : [])
      : saved.predictions !== undefined ? (saved.predictions ? [saved.predictions] : []) : DEFAULT_EXPRESSIONS.predictions,
  };
  const settings = readSettings(vscode.Uri.file(model));
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'NeurFlow: Explain Batch', cancellable: true },
    async (progress, token) => {
      progress.report({ message: `exporting the batch from ${where(frame)}` });
      const t = await transfer(frame, exprs, memory, prompt);
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      try {
        const explanation = await services.worker.request('explainBatch', {
          model, results: analyses.map((a) => a.file), images: t.images, labels: t.labels, predictions: t.predictions,
          layer: args.layer, provider: settings.provider, threads: settings.threads || undefined,
        }, { signal: controller.signal, onProgress: (p) => progress.report({ message: p.stage }) }).catch((e: Error) => {
          throw new Failure(e.name === 'CancelledError' ? 'cancelled' : e.name === 'DataError' ? 'shape' : 'error', e.message);
        });
        // No predictions: remembered as none when none was asked for; defaults that found none are tried again next time.
        await memory.update({ images: t.images.expression, labels: t.labels.expression, predictions: t.predictions?.expression ?? (exprs.predictions?.length === 0 ? '' : undefined) });
        const message: BatchMessage = {
          type: 'batch', ...explanation,
          source: { path: frame.path, line: frame.line, frame: frame.name, session: frame.session.name },
          expressions: { images: t.images.expression, labels: t.labels.expression, predictions: t.predictions?.expression },
          transfer: { ms: Math.round(t.ms), bytes: t.bytes },
        };
        services.log.info(`explain batch: ${message.batchSize} samples from ${where(frame)}, ${message.misclassified.length} misclassified, transfer ${message.transfer.ms} ms for ${(t.bytes / 1e6).toFixed(1)} MB`);
        progress.report({ message: 'showing the batch in the panel' });
        const panel = services.panels.open(vscode.Uri.file(model));
        // The panel keeps the batch as its view: a reload of the webview gets it again after `ready`.
        const [rendered, sample] = await panel.show(message, message.misclassified.length > 0 ? ['sample'] : []).catch((e: Error) => {
          throw new Failure('error', `the batch was explained but ${panel.panel.title} did not show it: ${e.message}`);
        });
        return { ok: true as const, message, panel: panel.panel.title, rendered: rendered.items, sample: sample?.items ?? [] };
      } finally {
        t.dispose();
      }
    });
}

export async function explainBatch(services: Services, context: vscode.ExtensionContext, raw?: unknown): Promise<ExplainBatchReport> {
  const args = argsFrom(raw);
  try {
    return await run(services, context, args);
  } catch (e) {
    const kind = e instanceof Failure ? e.kind : 'error';
    const error = (e as Error).message;
    services.log.error(`explain batch: ${kind}: ${error}`);
    if (!args.noPrompt && kind !== 'no-analysis' && kind !== 'cancelled') void vscode.window.showErrorMessage(`NeurFlow: ${error}`);
    return { ok: false, kind, error };
  }
}

/** Registers the command; called once from activate(). */
export function registerExplainBatch(context: vscode.ExtensionContext, services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(EXPLAIN_BATCH_COMMAND, (arg?: unknown) => explainBatch(services, context, arg));
}

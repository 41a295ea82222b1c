/**
 * What Explain Batch and Compare with Previous Checkpoint share in a paused session: the failure kinds, the batch
 * transfer (asking for a missing expression once), and the export of the live PyTorch model by the debuggee
 * (export.ts), with the checkpoints met per session.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CheckpointHistory } from './checkpoints';
import { candidateLabel, EXPORTED_MODEL_SETTING, exportModel, pruneExports, type ExportOutcome } from './export';
import { evaluator, pausedFrame, type PausedFrame } from './frame';
import type { BatchMemory } from './memory';
import { transferBatch, type BatchExpressions, type Transfer } from './transfer';

export type ExplainFailure =
  | 'no-session'
  | 'untrusted'
  | 'no-model'
  | 'no-analysis'
  | 'expression'
  | 'shape'
  | 'export'
  | 'no-previous'
  | 'cancelled'
  | 'error';

/** The caller's choices that the export reads. */
export interface LiveArgs {
  /** The PyTorch model's expression in the paused frame; absent: remembered or searched. */
  module?: string;
  /** An ONNX file given: no model is searched for when none is in scope. */
  model?: string;
}

export class Failure extends Error {
  constructor(
    readonly kind: ExplainFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The paused frame a command works in, in a trusted workspace (it runs the model): else a Failure saying why. */
export async function trustedPausedFrame(command: string): Promise<PausedFrame> {
  let frame: PausedFrame;
  try {
    frame = await pausedFrame();
  } catch (e) {
    throw new Failure('no-session', (e as Error).message);
  }
  if (!vscode.workspace.isTrusted) throw new Failure('untrusted', `${command} runs the model: trust this workspace first`);
  return frame;
}

export function where(frame: PausedFrame): string {
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
export async function transfer(frame: PausedFrame, exprs: BatchExpressions, memory: BatchMemory, prompt: boolean): Promise<Transfer> {
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

/** The checkpoints met in each debug session (for Compare with Previous Checkpoint). */
export const checkpoints = new CheckpointHistory();

/** Where the debuggee writes its exports: `<storage>/models`. */
export function modelsDir(context: vscode.ExtensionContext): string {
  return path.join((context.storageUri ?? context.globalStorageUri).fsPath, 'models');
}

/** The exported file set in `neurflow.explainBatch.model` (relative to the workspace folder), if any. */
export function exportedModelSetting(): string | undefined {
  const value = vscode.workspace.getConfiguration().get<string>(EXPORTED_MODEL_SETTING, '').trim();
  if (value === '') return undefined;
  const folder = vscode.workspace.workspaceFolders?.[0];
  return path.isAbsolute(value) || !folder ? value : path.join(folder.uri.fsPath, value);
}

/** A model the debuggee exported: the file, its live logits and the report. */
export type Exported = Extract<ExportOutcome, { kind: 'exported' }>;

/**
 * Has the debuggee export the model in scope: the given or remembered expression, else a search of the frame (one
 * model is taken, several are offered, none is asked for). Undefined: there is no PyTorch model to export (the
 * caller falls back to an ONNX file). Throws Failure('export') with PyTorch's message when the export fails.
 */
export async function exportLive(
  frame: PausedFrame,
  t: Transfer,
  context: vscode.ExtensionContext,
  memory: BatchMemory,
  args: LiveArgs,
  prompt: boolean,
): Promise<Exported | undefined> {
  const evaluate = evaluator(frame);
  const request = { modelsDir: modelsDir(context), workDir: t.dir, images: t.images.expression };
  const remembered = args.module ?? memory.get().module;
  let outcome = await exportModel(evaluate, { ...request, model: remembered }, where(frame));
  if (outcome.kind === 'failed' && !args.module && remembered && outcome.report.error?.stage === 'find') {
    // The remembered expression does not name a model here (another frame or script): search the frame.
    await memory.update({ module: undefined });
    outcome = await exportModel(evaluate, request, where(frame));
  }
  if (outcome.kind === 'several') {
    const names = outcome.candidates.map((c) => c.expression).join(', ');
    if (!prompt) throw new Failure('export', `several PyTorch models are in scope in ${where(frame)} (${names}): name the one to explain`);
    const pick = await vscode.window.showQuickPick(
      outcome.candidates.map((c) => ({ ...candidateLabel(c), expression: c.expression })),
      {
        title: 'NeurFlow: Explain Batch',
        placeHolder: 'Which model made these predictions?',
        ignoreFocusOut: true,
      },
    );
    if (!pick) throw new Failure('cancelled', 'no model was chosen');
    outcome = await exportModel(evaluate, { ...request, model: pick.expression }, where(frame));
  } else if (outcome.kind === 'none' && prompt && !args.model) {
    const answer = await vscode.window.showInputBox({
      title: 'NeurFlow: Explain Batch',
      prompt: `No PyTorch model (a torch.nn.Module with parameters) was found in ${where(frame)}. Python expression of the model, or leave empty to pick an exported ONNX file`,
      placeHolder: 'e.g. trainer.model or self.backbone',
      ignoreFocusOut: true,
    });
    if (answer === undefined) throw new Failure('cancelled', 'no model was chosen');
    if (answer.trim() !== '') outcome = await exportModel(evaluate, { ...request, model: answer.trim() }, where(frame));
  }
  if (outcome.kind !== 'exported') {
    if (outcome.kind === 'failed') throw new Failure('export', outcome.message);
    if (outcome.kind === 'several') throw new Failure('export', 'several PyTorch models are in scope');
    return undefined;
  }
  await memory.update({ module: outcome.report.model!.expression });
  pruneExports(request.modelsDir, 12, [outcome.onnx, ...checkpoints.list(frame.session.id).map((c) => c.onnx)]);
  return outcome;
}

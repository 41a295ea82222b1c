/**
 * NeurFlow: Compare with Previous Checkpoint (docs/design.md 7). At a pause where the weights changed since an earlier
 * Explain Batch of the same debug session (a new epoch), the debuggee exports the model at this pause (reused when
 * unchanged), and the worker runs both checkpoints on the batch in scope: which neuron groups of the previous
 * checkpoint's analyses changed most (mean relative change of their channels' activations), per layer, and how
 * often the two agree on the top class. Shown as a Markdown report beside the editor (a file in the extension's storage);
 * resolves with a report.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../config';
import type { Services } from '../services';
import type { CheckpointComparison } from '../../protocol/batch';
import { chooseAnalyses } from './choose';
import { checkpoints, exportLive, Failure, modelsDir, transfer, trustedPausedFrame, where, type ExplainFailure } from './live';
import { writeFileAtomic } from '../../engine/result/store';
import { BatchMemory } from './memory';
import { DEFAULT_EXPRESSIONS, type BatchExpressions } from './transfer';
import type { Checkpoint } from './checkpoints';

export interface CompareArgs {
  images?: string;
  labels?: string;
  module?: string;
  noPrompt?: boolean;
}

export type CompareReport =
  | { ok: true; comparison: CheckpointComparison; previous: Checkpoint; current: Checkpoint; markdown: string; document: string }
  | { ok: false; kind: ExplainFailure; error: string };

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The report as Markdown: the groups that changed most, then the layers. */
export function comparisonMarkdown(c: CheckpointComparison, previous: Checkpoint, current: Checkpoint, top = 15): string {
  const rows = c.groups
    .slice(0, top)
    .map(
      (g) =>
        `| ${g.layer} | ${g.group} | ${g.className ?? ''} | ${g.channels.length <= 12 ? g.channels.join(', ') : `${g.channels.slice(0, 12).join(', ')}, ... (${g.channels.length})`} | ${pct(g.activationChange)} |`,
    );
  const layers = c.layers.map((l) => `| ${l.layer} | ${l.channels} | ${pct(l.activationChange)} |`);
  return [
    `# NeurFlow: checkpoint comparison`,
    '',
    `- previous: weights \`${previous.key.slice(0, 12)}\` of \`${previous.expression}\`, paused in ${previous.where}`,
    `- current: weights \`${current.key.slice(0, 12)}\` of \`${current.expression}\`, paused in ${current.where}`,
    `- on the batch in scope (${c.batchSize} samples): the two agree on the top class for ${pct(c.agreement)} of them`,
    '',
    `## Groups whose channels changed most`,
    '',
    "Change: mean over the group's channels of |mean activation now - before| / mean |activation before|, on this batch. Groups are those of the previous checkpoint's analyses.",
    '',
    '| layer | group | class | channels | change |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '## Layers',
    '',
    '| layer | channels | change |',
    '| --- | --- | --- |',
    ...layers,
    '',
  ].join('\n');
}

async function run(services: Services, context: vscode.ExtensionContext, args: CompareArgs): Promise<CompareReport> {
  const memory = new BatchMemory(context.workspaceState);
  const prompt = !args.noPrompt;
  const frame = await trustedPausedFrame('Compare with Previous Checkpoint');
  const saved = memory.get();
  const exprs: BatchExpressions = {
    images: args.images ? [args.images] : saved.images ? [saved.images] : DEFAULT_EXPRESSIONS.images,
    labels: args.labels ? [args.labels] : saved.labels ? [saved.labels] : DEFAULT_EXPRESSIONS.labels,
    predictions: [],
  };
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'NeurFlow: Compare with Previous Checkpoint', cancellable: true },
    async (progress, token) => {
      progress.report({ message: `exporting the batch and the model from ${where(frame)}` });
      const t = await transfer(frame, exprs, memory, prompt);
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      try {
        const exported = await exportLive(frame, t, context, memory, { module: args.module }, prompt);
        if (!exported)
          throw new Failure(
            'no-model',
            `no PyTorch model was found in ${where(frame)}: Compare with Previous Checkpoint compares the model in scope at two pauses`,
          );
        const r = exported.report;
        const current: Checkpoint = { key: r.key!, onnx: exported.onnx, where: where(frame), expression: r.model!.expression, time: Date.now() };
        checkpoints.add(frame.session.id, current);
        const previous = checkpoints.previous(frame.session.id, current.key);
        if (!previous) {
          throw new Failure(
            'no-previous',
            `no earlier checkpoint of ${current.expression} in this debug session: run Explain Batch at a pause, continue until the weights changed (e.g. the next epoch), then compare`,
          );
        }
        const results = (await chooseAnalyses(memory, context, previous.onnx, undefined)).map((a) => a.file);
        const settings = readSettings(vscode.Uri.file(exported.onnx));
        const comparison = await services.worker
          .request(
            'compareCheckpoints',
            {
              previous: previous.onnx,
              current: current.onnx,
              images: t.images.path,
              results,
              provider: settings.provider,
              threads: settings.threads || undefined,
            },
            { signal: controller.signal, onProgress: (p) => progress.report({ message: p.stage }) },
          )
          .catch((e: Error) => {
            throw new Failure(e.name === 'CancelledError' ? 'cancelled' : 'error', e.message);
          });
        const markdown = comparisonMarkdown(comparison, previous, current);
        services.log.info(
          `compare checkpoints ${previous.key.slice(0, 12)} -> ${current.key.slice(0, 12)}: top group ${comparison.groups[0] ? `${comparison.groups[0].layer}/${comparison.groups[0].group} ${pct(comparison.groups[0].activationChange)}` : 'none'}`,
        );
        // A file in the storage, not an untitled buffer: closing it asks nothing.
        const file = path.join(path.dirname(modelsDir(context)), 'checkpoints', `compare-${previous.key.slice(0, 12)}-${current.key.slice(0, 12)}.md`);
        writeFileAtomic(file, markdown);
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
        await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
        return { ok: true as const, comparison, previous, current, markdown, document: file };
      } finally {
        t.dispose();
      }
    },
  );
}

export async function compareCheckpoint(services: Services, context: vscode.ExtensionContext, raw?: unknown): Promise<CompareReport> {
  const args = (typeof raw === 'object' && raw !== null ? raw : {}) as CompareArgs;
  try {
    return await run(services, context, args);
  } catch (e) {
    const kind = e instanceof Failure ? e.kind : 'error';
    const error = (e as Error).message;
    services.log.error(`compare checkpoints: ${kind}: ${error}`);
    if (!args.noPrompt && kind !== 'cancelled') void vscode.window.showErrorMessage(`NeurFlow: ${error}`);
    return { ok: false, kind, error };
  }
}

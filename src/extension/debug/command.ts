/**
 * NeurFlow: Explain Batch (docs/design.md 7). While a Python debug session is paused: export the batch in scope from the
 * selected frame (transfer.ts: the debuggee writes .npy files, nothing big travels through DAP); find the model:
 * an ONNX file given or set in `neurflow.explainBatch.model`, else the PyTorch model in scope, which the debuggee
 * exports itself (export.ts: keyed by the weights' hash, reused while they do not change, checked against the live
 * model on the batch), else an ONNX file in the workspace; analyse the classes the batch gets wrong that have no
 * analysis yet (on the batch, worker job `analyseBatch`); let the worker predict and explain the misclassified
 * samples, and show the result in the model's panel (the batch view, with "Go to Paused Line") once the webview
 * reports it rendered. Resolves with a report (used by tests).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../config';
import type { Services } from '../services';
import type { BatchMessage } from '../../protocol/batch';
import type { AnalyseBatchOutcome, BatchExplanation } from '../../protocol/batch';
import { chooseAnalyses, chooseModel, pickAnalyses } from './choose';
import type { AnalysisRef } from './analyses';
import { compareCheckpoint } from './compare';
import { EXPORTED_MODEL_SETTING } from './export';
import type { ExportReport } from './export-snippet';
import { checkpoints, exportedModelSetting, exportLive, Failure, transfer, trustedPausedFrame, where, type ExplainFailure, type Exported } from './live';
import { BatchMemory } from './memory';
import { DEFAULT_EXPRESSIONS, type BatchExpressions, type Transfer } from './transfer';

export const EXPLAIN_BATCH_COMMAND = 'neurflow.explainBatch';
export const COMPARE_COMMAND = 'neurflow.compareCheckpoint';

/** Arguments a caller (a test, a keybinding, the Variables view) may pass; anything missing is remembered or asked. */
export interface ExplainBatchArgs {
  images?: string;
  labels?: string;
  /** '' = none. */
  predictions?: string;
  model?: string;
  /** The PyTorch model's expression in the paused frame (the debuggee exports it); absent: remembered or searched. */
  module?: string;
  results?: string[];
  layer?: string;
  /** Never show quick picks or input boxes (fail instead). */
  noPrompt?: boolean;
  /** Ask which saved analyses of the model to use (the batch view's "Change"), the ones found checked. */
  pickAnalyses?: boolean;
}

/** What the export of the live model did (when the debuggee exported it). */
export interface ExportSummary {
  expression: string;
  type: string;
  key: string;
  onnx: string;
  reused: boolean;
  /** The evaluate in the debuggee (hash, export when not reused, live run), and the export alone. */
  ms: number;
  exportMs?: number;
  torch: string;
  warnings: string[];
  check?: BatchExplanation['check'];
  /** The checks the debuggee made after putting its state back. */
  restored?: ExportReport['restored'];
  /** The classes analysed now on the batch, and those whose analysis was reused. */
  analysed: AnalyseBatchOutcome['analyses'];
  reusedAnalyses: number[];
}

export type { ExplainFailure } from './live';

export type ExplainBatchReport =
  /** `rendered`: the misclassified sample indices the batch view shows; `sample`: the sample it selected first and
   * its groups (`layer/G<index>`), as the webview reported them. `ms`: from the command to the rendered batch. */
  | { ok: true; message: BatchMessage; panel: string; rendered: string[]; sample: string[]; exported?: ExportSummary; ms: number }
  | { ok: false; kind: ExplainFailure; error: string };

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

function offerAnalysis(model: string): void {
  const analyse = 'Analyse Model';
  void vscode.window
    .showErrorMessage(
      `NeurFlow: no analysis of ${path.basename(model)} exists yet. Explain Batch shows the neuron groups of a saved analysis: analyse the model (for the class you are debugging) first.`,
      analyse,
    )
    .then((pick) => {
      if (pick === analyse) void vscode.commands.executeCommand('neurflow.analyseModel', vscode.Uri.file(model));
    });
}

/** Analyses on the batch for the wrong classes without one, recorded in the results library; all analyses of the model. */
async function analyseMissing(
  services: Services,
  memory: BatchMemory,
  context: vscode.ExtensionContext,
  exported: Exported,
  t: Transfer,
  progress: vscode.Progress<{ message?: string }>,
  signal: AbortSignal,
): Promise<{ analyses: AnalysisRef[]; outcome: AnalyseBatchOutcome; reused: number[] }> {
  const existing = await chooseAnalyses(memory, context, exported.onnx, undefined);
  const settings = readSettings(vscode.Uri.file(exported.onnx));
  const outcome = await services.worker
    .request(
      'analyseBatch',
      {
        model: exported.onnx,
        images: t.images,
        labels: t.labels,
        skip: existing.map((a) => a.classIndex),
        classNames: exported.report.classNames,
        store: services.results.dir,
        provider: settings.provider,
        threads: settings.threads || undefined,
        params: { tau: settings.tau, topCrops: settings.topCrops, igSteps: settings.igSteps },
      },
      { signal, onProgress: (p) => progress.report({ message: p.stage }) },
    )
    .catch((e: Error) => {
      throw new Failure(e.name === 'CancelledError' ? 'cancelled' : e.name === 'DataError' ? 'shape' : 'error', e.message);
    });
  for (const a of outcome.analyses) await services.results.record(a.file, services.results.read(a.file).doc);
  const fresh = await chooseAnalyses(memory, context, exported.onnx, [...existing.map((a) => a.file), ...outcome.analyses.map((a) => a.file)]);
  await memory.rememberResults(
    exported.onnx,
    fresh.map((a) => a.file),
  );
  return { analyses: fresh, outcome, reused: existing.map((a) => a.classIndex) };
}

/** Shows a mismatch between the export and the live model: never hidden. */
function reportCheck(services: Services, exported: Exported, check: BatchExplanation['check'], prompt: boolean): void {
  if (!check) return;
  const line = `export check: max |ONNX - PyTorch| logit ${check.maxLogitDiff.toExponential(2)} (logits up to ${check.maxLogit.toFixed(3)}, tolerance ${check.tolerance.toExponential(1)}), ${check.argmaxDisagreements.length} sample(s) with another top class`;
  const bad = !(check.maxLogitDiff <= check.tolerance) || check.argmaxDisagreements.length > 0;
  if (!bad) {
    services.log.info(line);
    return;
  }
  services.log.warn(line);
  const warnings = exported.report.warnings ?? [];
  const why = warnings.length > 0 ? ` The exporter warned: ${warnings.slice(0, 2).join('; ')}.` : '';
  if (prompt) {
    void vscode.window.showWarningMessage(
      `NeurFlow: the exported ONNX model does not compute what ${exported.report.model?.expression ?? 'the model'} computes on this batch: largest logit difference ${check.maxLogitDiff.toPrecision(3)} (tolerance ${check.tolerance.toPrecision(2)})` +
        `${check.argmaxDisagreements.length > 0 ? `, samples ${check.argmaxDisagreements.join(', ')} get another top class` : ''}.${why} The groups shown are those of the ONNX model; export the model yourself and set \`${EXPORTED_MODEL_SETTING}\` if tracing cannot capture it.`,
    );
  }
}

async function run(services: Services, context: vscode.ExtensionContext, args: ExplainBatchArgs): Promise<ExplainBatchReport> {
  const started = performance.now();
  const memory = new BatchMemory(context.workspaceState);
  const prompt = !args.noPrompt;
  const frame = await trustedPausedFrame('Explain Batch');
  // An ONNX file given or set: its saved analyses are chosen before anything runs (the flow before the live export).
  const file = args.model ?? exportedModelSetting();
  let model: string | undefined;
  let analyses: AnalysisRef[] = [];
  const chooseFor = async (onnx: string): Promise<AnalysisRef[]> => {
    const refs = await chooseAnalyses(memory, context, onnx, args.results);
    if (refs.length === 0) {
      if (prompt) offerAnalysis(onnx);
      throw new Failure(
        'no-analysis',
        `no analysis of ${onnx} exists yet${args.results ? ` (the given files are not analyses of this model: ${args.results.join(', ')})` : ''}; run NeurFlow: Analyse Model on it first`,
      );
    }
    return refs;
  };
  if (file) {
    model = file;
    analyses = await chooseFor(file);
  }
  const saved = memory.get();
  const exprs: BatchExpressions = {
    images: args.images ? [args.images] : saved.images ? [saved.images] : DEFAULT_EXPRESSIONS.images,
    labels: args.labels ? [args.labels] : saved.labels ? [saved.labels] : DEFAULT_EXPRESSIONS.labels,
    predictions:
      args.predictions !== undefined
        ? args.predictions
          ? [args.predictions]
          : []
        : saved.predictions !== undefined
          ? saved.predictions
            ? [saved.predictions]
            : []
          : DEFAULT_EXPRESSIONS.predictions,
  };
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'NeurFlow: Explain Batch', cancellable: true },
    async (progress, token) => {
      progress.report({ message: `exporting the batch from ${where(frame)}` });
      const t = await transfer(frame, exprs, memory, prompt);
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      try {
        let exported: Exported | undefined;
        let analysed: Awaited<ReturnType<typeof analyseMissing>> | undefined;
        if (!model) {
          progress.report({ message: `exporting the model in scope with the debugged program's PyTorch (${where(frame)})` });
          exported = await exportLive(frame, t, context, memory, args, prompt);
          if (token.isCancellationRequested) throw new Failure('cancelled', 'Explain Batch was cancelled');
          if (exported) {
            model = exported.onnx;
            const r = exported.report;
            services.log.info(
              `explain batch: ${r.reused ? 'reused the export' : `exported ${r.model!.expression} (${r.model!.type}) in ${r.exportMs} ms`} of weights ${r.key!.slice(0, 12)} to ${model}${(r.warnings ?? []).length > 0 ? `; exporter warnings: ${r.warnings!.join('; ')}` : ''}`,
            );
            checkpoints.add(frame.session.id, { key: r.key!, onnx: model, where: where(frame), expression: r.model!.expression, time: Date.now() });
            analysed = await analyseMissing(services, memory, context, exported, t, progress, controller.signal);
            analyses = analysed.analyses;
          } else {
            // No PyTorch model in scope: an ONNX file of the workspace, remembered or picked, with its saved analyses.
            model = await chooseModel(memory, undefined);
            if (!model)
              throw new Failure(
                'no-model',
                `no PyTorch model was found in ${where(frame)} and no ONNX model was chosen; name the model, or set \`${EXPORTED_MODEL_SETTING}\` to an exported file`,
              );
            analyses = await chooseFor(model);
          }
        }
        if (!model) throw new Failure('no-model', 'no ONNX model was chosen');
        if (args.pickAnalyses && prompt) analyses = (await pickAnalyses(memory, context, model, analyses)) ?? analyses;
        const settings = readSettings(vscode.Uri.file(model));
        progress.report({ message: 'explaining the misclassified samples' });
        const explanation = await services.worker
          .request(
            'explainBatch',
            {
              model,
              results: analyses.map((a) => a.file),
              images: t.images,
              labels: t.labels,
              predictions: t.predictions,
              layer: args.layer,
              provider: settings.provider,
              threads: settings.threads || undefined,
              live: exported
                ? {
                    expression: `${exported.report.model!.expression}(${t.images.expression})`,
                    path: exported.logits,
                    shape: [],
                    dtype: 'float32',
                    source: 'torch',
                  }
                : undefined,
              classNames: exported?.report.classNames,
            },
            { signal: controller.signal, onProgress: (p) => progress.report({ message: p.stage }) },
          )
          .catch((e: Error) => {
            throw new Failure(
              e.name === 'CancelledError' ? 'cancelled' : e.name === 'DataError' ? 'shape' : e.name === 'ModelError' && exported ? 'export' : 'error',
              e.message,
            );
          });
        // No predictions: remembered as none when none was asked for; defaults that found none are tried again next time.
        await memory.update({
          images: t.images.expression,
          labels: t.labels.expression,
          predictions: t.predictions?.expression ?? (exprs.predictions?.length === 0 ? '' : undefined),
        });
        if (exported) reportCheck(services, exported, explanation.check, prompt);
        const message: BatchMessage = {
          type: 'batch',
          ...explanation,
          source: { path: frame.path, line: frame.line, frame: frame.name, session: frame.session.name },
          expressions: { images: t.images.expression, labels: t.labels.expression, predictions: t.predictions?.expression },
          transfer: { ms: Math.round(t.ms), bytes: t.bytes },
        };
        services.log.info(
          `explain batch: ${message.batchSize} samples from ${where(frame)}, ${message.misclassified.length} misclassified, transfer ${message.transfer.ms} ms for ${(t.bytes / 1e6).toFixed(1)} MB`,
        );
        progress.report({ message: 'showing the batch in the panel' });
        const panel = services.panels.open(vscode.Uri.file(model));
        // The panel keeps the batch as its view: a reload of the webview gets it again after `ready`.
        const [rendered, sample] = await panel.show(message, message.misclassified.length > 0 ? ['sample'] : []).catch((e: Error) => {
          throw new Failure('error', `the batch was explained but ${panel.panel.title} did not show it: ${e.message}`);
        });
        const ms = Math.round(performance.now() - started);
        let summary: ExportSummary | undefined;
        if (exported) {
          const r = exported.report;
          summary = {
            expression: r.model!.expression,
            type: r.model!.type,
            key: r.key!,
            onnx: exported.onnx,
            reused: !!r.reused,
            ms: Math.round(exported.ms),
            exportMs: r.exportMs,
            torch: r.torch ?? '',
            warnings: r.warnings ?? [],
            check: explanation.check,
            restored: r.restored,
            analysed: analysed?.outcome.analyses ?? [],
            reusedAnalyses: analysed?.reused ?? [],
          };
          services.log.info(
            `explain batch: ${ms} ms from the command to the rendered batch (debuggee export ${summary.ms} ms, ${summary.analysed.filter((a) => !a.reused).length} class(es) analysed)`,
          );
          if (prompt && checkpoints.previous(frame.session.id, r.key!)) {
            const compare = 'Compare with Previous Checkpoint';
            void vscode.window
              .showInformationMessage(`NeurFlow: the weights of ${r.model!.expression} changed since the last Explain Batch in this session.`, compare)
              .then((pick) => {
                if (pick === compare) void vscode.commands.executeCommand(COMPARE_COMMAND);
              });
          }
        }
        return { ok: true as const, message, panel: panel.panel.title, rendered: rendered.items, sample: sample?.items ?? [], exported: summary, ms };
      } finally {
        t.dispose();
      }
    },
  );
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
  return vscode.Disposable.from(
    vscode.commands.registerCommand(EXPLAIN_BATCH_COMMAND, (arg?: unknown) => explainBatch(services, context, arg)),
    vscode.commands.registerCommand(COMPARE_COMMAND, (arg?: unknown) => compareCheckpoint(services, context, arg)),
  );
}

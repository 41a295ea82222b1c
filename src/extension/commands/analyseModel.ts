/**
 * NeurFlow: Analyse Model (docs/design.md 1): the model's panel opens beside the editor with the model summary; what is
 * not known yet is asked (dataset folder, preprocessing without a sidecar, class with the scan's counts,
 * layers), remembered per workspace folder; the analysis runs in the worker under a cancellable progress
 * notification (a cancel keeps the finished layers), and the panel shows the result. A panel that already
 * shows a result keeps working during a new analysis (banner only). Resolves with a report (used by tests).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnalyseOutcome, AnalyseParams, PreprocessingChoice, ScanSummary } from '../../protocol/analysis';
import type { ModelSummary } from '../../protocol/summary';
import type { Answer, RenderedView } from '../../protocol/webview';
import { readSettings } from '../config';
import { ChoiceMemory } from '../flow/memory';
import { changeLabel } from '../flow/answer-labels';
import { defaultLayers, needsPreprocessing, openSidecar, pickClass, pickDataset, pickLayers, pickPreprocessing } from '../flow/pickers';
import { withWorkerProgress } from '../flow/progress';
import type { ModelPanel } from '../panel';
import { validateResult, type ResultDocument } from '../../engine/result/schema';
import { resultView } from '../results/view';
import type { Services } from '../services';

/** Answers given up front (tests, other commands): what is given is not asked. */
export interface AnalyseOptions {
  /** Only show the model summary (no dataset, no analysis). */
  describeOnly?: boolean;
  data?: string;
  preprocessing?: PreprocessingChoice;
  /** Class index or name. */
  class?: number | string;
  /** Layer names, top first (the first is the logits layer). */
  layers?: string[];
  /** Instead of layers: the top layer and the last `blocks` detected blocks, not asked. */
  blocks?: number;
  params?: AnalyseParams['params'];
  /** Run even when a saved result matches. */
  force?: boolean;
  /** Fail instead of asking anything. */
  noPrompt?: boolean;
  /** Ask this answer again even when it is given, set or remembered (the panel's "Change <answer>"). */
  ask?: Answer;
  /** Cancels like the notification's Cancel button. */
  signal?: AbortSignal;
  /** Called with every progress stage of the scan and the analysis. */
  onProgress?: (stage: string) => void;
}

export interface AnalyseReport {
  model: string;
  /** What the flow ended on: `dismissed` = a question was not answered. */
  view: 'model' | 'result' | 'error' | 'cancelled' | 'dismissed';
  /** What the panel rendered: layer names (model, result views) or the message (error). */
  items: string[];
  /** The circuit nodes the webview rendered (`layer/G<i>`), for a result. */
  circuit?: string[];
  summary?: ModelSummary;
  scan?: ScanSummary;
  file?: string;
  reused?: boolean;
  complete?: boolean;
  classIndex?: number;
  layers?: string[];
  /** Progress stages shown, in order. */
  stages: string[];
  /** Milliseconds: the whole command, the analysis request alone, and from its start to the first partial circuit. */
  ms: { total: number; analysis?: number; firstCircuit?: number };
  /** Partial results (the circuit of the finished upper layers) shown while the analysis ran. */
  partials?: number;
  /** Key of the panel in the panel manager (the model path). */
  panel: string;
  /** On an error: the answers that may have caused it (offered as "Change <answer>"). */
  changes?: Answer[];
}

class Stop extends Error {
  constructor(
    readonly view: AnalyseReport['view'],
    message: string,
  ) {
    super(message);
  }
}

export async function analyseModel(services: Services, arg?: unknown, options: AnalyseOptions = {}): Promise<AnalyseReport | undefined> {
  const t0 = Date.now();
  const uri = await resolveModel(arg);
  if (!uri) return undefined;
  if (!vscode.workspace.isTrusted) {
    const manage = 'Manage Workspace Trust';
    const pick = await vscode.window.showWarningMessage('NeurFlow runs the model and reads your images: trust this workspace to analyse models.', manage);
    if (pick === manage) await vscode.commands.executeCommand('workbench.trust.manage');
    return undefined;
  }
  const fileName = path.basename(uri.fsPath);
  const panel = services.panels.open(uri);
  const report: AnalyseReport = { model: uri.fsPath, view: 'model', items: [], stages: [], ms: { total: 0 }, panel: uri.fsPath };
  const keepsResult = panel.view?.type === 'result';
  try {
    await run(services, uri, panel, options, report, keepsResult);
  } catch (e) {
    const err = e as Error;
    const cancelled = err.name === 'CancelledError';
    const closed = panel.closed && err.message === 'the NeurFlow panel was closed';
    report.view = e instanceof Stop ? e.view : cancelled ? 'cancelled' : closed ? 'dismissed' : 'error';
    if (report.view === 'error') {
      services.log.error(`analyse ${uri.fsPath}: ${err.name}: ${err.message}`);
      // Offer to change the answers that may have caused the failure (issue 18): a wrong answer must not lock the
      // user out.
      const changes = report.changes ?? [];
      void vscode.window.showErrorMessage(`NeurFlow: ${err.message}`, ...changes.map(changeLabel)).then((chosen) => {
        const answer = changes.find((a) => changeLabel(a) === chosen);
        if (answer) void vscode.commands.executeCommand('neurflow.analyseModel', uri, { ...rerunOptions(options), ask: answer });
      });
      if (keepsResult || panel.view?.type === 'model') {
        panel.post({ type: 'notice', level: 'error', message: err.message, changes });
        report.items = [err.message];
      } else {
        const rendered = await panel.show({ type: 'error', title: fileName, message: err.message, changes, model: uri.fsPath }).catch(() => undefined);
        report.items = rendered?.[0].items ?? [err.message];
      }
    } else {
      services.log.info(`analyse ${uri.fsPath}: ${err.message}`);
    }
  } finally {
    panel.post({ type: 'activity', running: false });
  }
  report.ms.total = Date.now() - t0;
  return report;
}

async function run(
  services: Services,
  uri: vscode.Uri,
  panel: ModelPanel,
  options: AnalyseOptions,
  report: AnalyseReport,
  keepsResult: boolean,
): Promise<void> {
  const settings = readSettings(uri);
  const runtime = { provider: settings.provider, threads: settings.threads || undefined };
  const memory = new ChoiceMemory(services.workspaceState, uri);
  const fileName = path.basename(uri.fsPath);
  const ask = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Stop('dismissed', `no ${what} was chosen`);
    return value;
  };
  const noPrompt = (what: string) => {
    throw new Stop('dismissed', `${what} is not known and noPrompt is set`);
  };

  // 1. The model: summary and detected layers (quick, shown at once unless the panel shows a result).
  if (!keepsResult) panel.post({ type: 'loading', fileName, stage: 'Reading model' });
  const summary = await services.worker.request('describeModel', { path: uri.fsPath, ...runtime, provider: runtime.provider });
  report.summary = summary;
  if (!keepsResult) report.items = (await panel.show({ type: 'model', summary }))[0].items;
  if (options.describeOnly) return;
  if (summary.layers.length < 2) throw new Error(`${uri.fsPath}: ${summary.layersNote ?? 'fewer than two analysis layers were detected'}`);

  // 2. The questions, each asked only when not known (or when the user asked to change it: options.ask).
  const again = (what: Answer) => options.ask === what && !options.noPrompt;
  report.changes = ['dataset', ...(needsPreprocessing(uri.fsPath) || options.preprocessing ? (['preprocessing'] as const) : [])];
  const data = again('dataset')
    ? ask(await pickDataset(uri, options.data ?? settings.datasetFolder ?? memory.dataset), 'dataset folder')
    : (options.data ??
      settings.datasetFolder ??
      memory.dataset ??
      (options.noPrompt ? noPrompt('the dataset folder') : ask(await pickDataset(uri), 'dataset folder')));
  await memory.setDataset(data);
  if (again('dataset') && settings.datasetFolder && settings.datasetFolder !== data) {
    // The setting wins over the remembered answer: change it too, or the next run would use the old folder.
    await vscode.workspace
      .getConfiguration('neurflow', uri)
      .update('datasetFolder', data, vscode.ConfigurationTarget.WorkspaceFolder)
      .then(undefined, () => vscode.workspace.getConfiguration('neurflow', uri).update('datasetFolder', data, vscode.ConfigurationTarget.Global));
  }
  let preprocessing = options.preprocessing;
  if (again('preprocessing') && !needsPreprocessing(uri.fsPath)) {
    // The preprocessing comes from the sidecar beside the model: change it there.
    await openSidecar(uri.fsPath);
    throw new Stop('dismissed', 'the preprocessing comes from the sidecar file, opened for editing');
  }
  const answered = again('preprocessing') || (preprocessing === undefined && needsPreprocessing(uri.fsPath));
  if (answered) {
    preprocessing = again('preprocessing')
      ? ask(await pickPreprocessing(uri, summary, memory.model.preprocessing ?? preprocessing), 'preprocessing')
      : (memory.model.preprocessing ?? (options.noPrompt ? noPrompt('the preprocessing') : ask(await pickPreprocessing(uri, summary), 'preprocessing')));
    await memory.updateModel({ preprocessing });
  }
  let scanned: ScanSummary;
  try {
    scanned = await withWorkerProgress(
      `NeurFlow: ${fileName}`,
      panel,
      report.stages,
      options.signal,
      (progress) => services.worker.request('scan', { model: uri.fsPath, data, preprocessing, ...runtime }, progress),
      { onStage: options.onProgress },
    );
  } catch (e) {
    // A remembered answer that does not fit the model (a 224-px preset for a 64-px model) must not fail every later
    // run without asking again: forget it, and say so.
    const err = e as Error;
    if (answered && err.name !== 'CancelledError') {
      await memory.updateModel({ preprocessing: undefined });
      err.message = `${err.message} (the preprocessing answer ${JSON.stringify(preprocessing)} was forgotten: the next Analyse Model asks again)`;
    }
    throw err;
  }
  report.scan = scanned;
  const givenClass = resolveClass(options.class, scanned);
  const classIndex = again('class')
    ? ask(await pickClass(scanned, givenClass !== undefined ? scanned.classes[givenClass] : memory.model.className), 'class')
    : (givenClass ?? (options.noPrompt ? noPrompt('the class') : ask(await pickClass(scanned, memory.model.className), 'class')));
  const givenLayers = options.layers ?? (options.blocks !== undefined ? defaultLayers(summary.layers, options.blocks) : undefined);
  const layers = again('layers')
    ? ask(await pickLayers(summary.layers, givenLayers ?? memory.model.layers), 'layer')
    : (givenLayers ?? (options.noPrompt ? noPrompt('the layers') : ask(await pickLayers(summary.layers, memory.model.layers), 'layer')));
  report.changes = ['class', 'layers', 'tau', 'steps'];
  await memory.updateModel({ className: scanned.classes[classIndex], layers });
  report.classIndex = classIndex;
  report.layers = layers;

  // 3. The analysis.
  const className = scanned.classes[classIndex];
  const title = `NeurFlow: ${fileName}, class ${className}`;
  const params: AnalyseParams = {
    model: uri.fsPath,
    data,
    preprocessing,
    ...runtime,
    classIndex,
    layers,
    store: services.results.dir,
    force: options.force,
    params: { tau: settings.tau, topCrops: settings.topCrops, igSteps: settings.igSteps, ...options.params },
  };
  const t = Date.now();
  const outcome: AnalyseOutcome = await withWorkerProgress(
    title,
    panel,
    report.stages,
    options.signal,
    (progress) => services.worker.request('analyse', params, { ...progress, awaitCancelled: true }),
    { keepPartial: true, onStage: options.onProgress, onPartial: (value) => showPartial(services, panel, value, report, t) },
  );
  report.ms.analysis = Date.now() - t;
  Object.assign(report, { file: outcome.file, reused: outcome.reused, complete: outcome.doc.complete });
  await services.results.record(outcome.file, outcome.doc);
  services.log.info(`analyse ${uri.fsPath}: class ${className}, ${outcome.reused ? 'reused' : 'saved'} ${outcome.file} in ${report.ms.analysis} ms`);

  // 4. The panel (a new one if it was closed meanwhile).
  const shown = panel.closed ? services.panels.open(uri) : panel;
  shown.reveal();
  const waits: RenderedView[] = ['circuit'];
  const [rendered, circuit] = await shown.show(resultView(shown, outcome.doc, outcome.file, outcome.scan), waits);
  report.view = 'result';
  report.items = rendered.items;
  report.circuit = circuit.items;
  if (!outcome.doc.complete) {
    const finished = outcome.doc.layers.filter((l) => l.grouping).map((l) => l.name);
    report.view = 'cancelled';
    void vscode.window.showInformationMessage(
      `NeurFlow: analysis cancelled; showing the ${finished.length} finished layer${finished.length === 1 ? '' : 's'} (${finished.join(', ')}).`,
    );
  }
}

/** The finished upper layers while the analysis runs (progressive results); a malformed one is only logged. */
function showPartial(services: Services, panel: ModelPanel, value: unknown, report: AnalyseReport, started: number): void {
  if (panel.closed) return;
  let doc: ResultDocument;
  try {
    doc = validateResult(value);
  } catch (e) {
    services.log.warn(`partial result ignored: ${(e as Error).message}`);
    return;
  }
  report.partials = (report.partials ?? 0) + 1;
  report.ms.firstCircuit ??= Date.now() - started;
  // Its `rendered` reports are marked running, so they never answer the final result's wait (ModelPanel.show).
  panel.show({ ...resultView(panel, doc, undefined), running: true }).catch(() => undefined);
}

/** The options of a run again, without the ones that only apply once (cancel signal, progress callback). */
export function rerunOptions(o: AnalyseOptions): AnalyseOptions {
  const { signal: _signal, onProgress: _onProgress, ask: _ask, ...rest } = o;
  return rest;
}

function resolveClass(given: number | string | undefined, scan: ScanSummary): number | undefined {
  if (given === undefined) return undefined;
  const i = typeof given === 'number' ? given : scan.classes.indexOf(given);
  if (!Number.isInteger(i) || i < 0 || i >= scan.classes.length) {
    throw new Error(`class ${JSON.stringify(given)} is not one of the dataset's classes (${scan.classes.join(', ')})`);
  }
  return i;
}

/** The model to analyse: the command's argument (Explorer, editor title), else the active tab, else asked. */
async function resolveModel(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return checkLocal(arg);
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const active = tab instanceof vscode.TabInputText || tab instanceof vscode.TabInputCustom ? tab.uri : undefined;
  if (active?.path.endsWith('.onnx')) return checkLocal(active);
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'ONNX models': ['onnx'] },
    openLabel: 'Analyse Model',
  });
  return picked?.[0] && checkLocal(picked[0]);
}

function checkLocal(uri: vscode.Uri): vscode.Uri | undefined {
  if (uri.scheme === 'file') return uri;
  void vscode.window.showErrorMessage(`NeurFlow reads models from the local disk; ${uri.toString()} is not a local file.`);
  return undefined;
}

/**
 * NeurFlow: Label Groups — labels the groups of a saved result on the user's request: with a chat model that
 * takes images (`vscode.lm`, after the user's consent the first time, cancellable, the model's name recorded
 * with each label and the label check's confidence), else from the data, saying why. Labels are written into the
 * result file and the panels showing it are refreshed. `neurflow.setGroupLabel` saves a label the user typed.
 *
 * Arguments (both commands; from the palette, the Explorer or the panel's host code):
 *   labelGroups: a result file (Uri or path) or `{ file?, layer?, group?, replaceUserLabels?, check? }`; no file:
 *   the result in the active panel, else a pick of the saved results.
 *   setGroupLabel: `{ file, layer, group, text? }` (no text: asked with an input box; blank text removes the label).
 */
import * as vscode from 'vscode';
import { allGroups, findGroup, type GroupRef } from '../../engine/labels/group-crops';
import { imageClasses } from '../../engine/labels/fallback';
import { labelGroups, setUserLabel, type LabelOutcome } from '../../engine/labels/labeler';
import { buildLabelPrompt } from '../../engine/labels/prompt';
import type { GroupLabel, ResultDocument } from '../../engine/result/schema';
import { writeResult } from '../../engine/result/store';
import type { ScanResult } from '../../engine/data/scan';
import type { Services } from '../services';
import { resultView } from '../results/view';
import { askConsent } from './consent';
import { chooseImageModel, lmPort, modelName } from './lm';

export interface LabelGroupsArgs {
  file?: string;
  layer?: string;
  group?: number;
  /** Replace labels the user wrote (default: keep them). */
  replaceUserLabels?: boolean;
  /** Run the label check after each label (default true). */
  check?: boolean;
}

export interface LabelGroupsReport {
  file: string;
  /** The model used, or undefined when the labels come from the data. */
  model?: string;
  /** Why no language model labelled (some of) the groups. */
  reason?: string;
  cancelled: boolean;
  labels: (GroupRef & GroupLabel)[];
  /** What the user was told. */
  message: string;
}

function argsOf(arg: unknown): LabelGroupsArgs {
  if (arg instanceof vscode.Uri) return { file: arg.fsPath };
  if (typeof arg === 'string') return { file: arg };
  if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) return arg as LabelGroupsArgs;
  return {};
}

/** The result file: given, the one the active panel shows, or picked from the saved results. */
async function resultFile(services: Services, given: string | undefined): Promise<string | undefined> {
  if (given) return given;
  const view = services.panels.active()?.view;
  if (view?.type === 'result' && view.file) return view.file;
  const items = services.results.list().map((e) => ({ label: e.className, description: e.model, detail: e.layers.join(', '), file: e.file }));
  const browse = { label: '$(folder-opened) Open a Result File...', description: '', detail: undefined, file: '' };
  const chosen = await vscode.window.showQuickPick([...items, browse], { title: 'NeurFlow: label the groups of a result' });
  if (!chosen) return undefined;
  if (chosen.file) return chosen.file;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'NeurFlow results': ['json'] }, openLabel: 'Label Groups' });
  return picked?.[0]?.fsPath;
}

function targetsOf(doc: ResultDocument, args: LabelGroupsArgs): GroupRef[] {
  if (args.layer !== undefined && args.group !== undefined) {
    findGroup(doc, { layer: args.layer, group: args.group });
    return [{ layer: args.layer, group: args.group }];
  }
  const all = allGroups(doc);
  if (args.layer === undefined) return all;
  findGroup(doc, { layer: args.layer, group: 0 });
  return all.filter((r) => r.layer === args.layer);
}

/** Shows the updated result in the panels that show this file (the model's panel, the result editor's). */
function refreshPanels(services: Services, file: string, doc: ResultDocument, scan: ScanResult | undefined): void {
  for (const panel of new Set([services.panels.get(file), services.panels.get(doc.model.path)])) {
    const view = panel?.view;
    if (panel && view?.type === 'result' && view.file === file) panel.post(resultView(panel, doc, file, scan));
  }
}

function noticePanels(services: Services, file: string, doc: ResultDocument, level: 'info' | 'warning', message: string): void {
  for (const panel of new Set([services.panels.get(file), services.panels.get(doc.model.path)])) {
    const view = panel?.view;
    if (panel && view?.type === 'result' && view.file === file) panel.post({ type: 'notice', level, message });
  }
}

function imagesToSend(doc: ResultDocument, targets: readonly GroupRef[], check: boolean): number {
  let n = 0;
  for (const ref of targets) {
    try {
      n += buildLabelPrompt(doc, ref).parts.filter((p) => p.kind === 'image').length + (check ? 8 : 0);
    } catch {
      // A group without thumbnails is labelled from the data.
    }
  }
  return n;
}

function summary(outcomes: readonly LabelOutcome[], model: string | undefined, reason: string | undefined, cancelled: boolean): string {
  const made = outcomes.filter((o) => !o.keptUserLabel);
  const byModel = made.filter((o) => o.label?.source === 'language-model');
  const fromData = made.filter((o) => o.label?.source === 'data');
  const kept = outcomes.length - made.length;
  const parts: string[] = [];
  if (byModel.length > 0) {
    const conf = byModel.map((o) => o.label?.confidence).filter((c): c is number => c !== undefined);
    const mean = conf.length ? `, label check ${Math.round((conf.reduce((a, b) => a + b, 0) / conf.length) * 100)}% on average` : '';
    parts.push(`${byModel.length} group${byModel.length === 1 ? '' : 's'} labelled by ${model}${mean}`);
  }
  if (fromData.length > 0) parts.push(`${fromData.length} group${fromData.length === 1 ? '' : 's'} labelled from the data`);
  if (kept > 0) parts.push(`${kept} label${kept === 1 ? '' : 's'} of yours kept`);
  const head = `NeurFlow: ${parts.join('; ') || 'no group labelled'}${cancelled ? ' (cancelled; the labels made so far are saved)' : ''}.`;
  return reason && fromData.length > 0 ? `${head} ${reason}.` : head;
}

/**
 * Labelling writes the result file (and may send crops to a language model): a result opened in an untrusted
 * workspace may come from anyone, so both label commands need a trusted workspace.
 */
export const LABELS_NEED_TRUST = 'NeurFlow: labelling groups writes the result file, so it needs a trusted workspace (Manage Workspace Trust).';

export async function labelGroupsCommand(context: vscode.ExtensionContext, services: Services, arg?: unknown): Promise<LabelGroupsReport | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(LABELS_NEED_TRUST);
    return undefined;
  }
  const args = argsOf(arg);
  const file = await resultFile(services, args.file);
  if (!file) return undefined;
  try {
    const { doc, scan } = services.results.read(file);
    const targets = targetsOf(doc, args);
    const check = args.check !== false;
    const choice = await chooseImageModel(context.globalState);
    if (choice.dismissed) return undefined;
    let reason = choice.reason;
    if (choice.model && !(await askConsent(context.globalState, modelName(choice.model), targets.length, imagesToSend(doc, targets, check)))) {
      reason = 'No language model used: you did not allow sending image crops to it';
    }
    const model = choice.model && !reason ? lmPort(choice.model) : undefined;
    services.log.info(`labels: ${targets.length} groups of ${file} ${model ? `with ${model.name}` : `from the data (${reason})`}`);
    const run = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'NeurFlow: labelling groups', cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return labelGroups(doc, targets, {
          model,
          noModelReason: reason,
          classOf: imageClasses(doc, scan),
          check,
          replaceUserLabels: args.replaceUserLabels,
          signal: controller.signal,
          onProgress: (done, total, ref) => progress.report({ message: `${done}/${total} ${ref.layer}/G${ref.group}`, increment: 100 / Math.max(1, total) }),
        });
      },
    );
    reason = run.modelUnavailable ?? reason;
    for (const o of run.outcomes) if (o.error) services.log.warn(`labels: ${o.ref.layer}/G${o.ref.group}: ${o.error}`);
    writeResult(file, run.doc);
    refreshPanels(services, file, run.doc, scan);
    const message = summary(run.outcomes, model?.name, reason, run.cancelled);
    const dataLabels = run.outcomes.some((o) => o.label?.source === 'data' && !o.keptUserLabel);
    noticePanels(services, file, run.doc, dataLabels ? 'warning' : 'info', message);
    void (dataLabels ? vscode.window.showWarningMessage(message) : vscode.window.showInformationMessage(message));
    return {
      file,
      model: model?.name,
      reason,
      cancelled: run.cancelled,
      message,
      labels: run.outcomes.filter((o) => o.label).map((o) => ({ ...o.ref, ...o.label! })),
    };
  } catch (e) {
    const message = `NeurFlow: labelling the groups of ${file} failed: ${(e as Error).message}`;
    services.log.error(message);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
}

export interface SetGroupLabelArgs extends GroupRef {
  file: string;
  text?: string;
}

/** Saves the user's label for one group (asked when `text` is absent); resolves with the label, or undefined. */
export async function setGroupLabelCommand(services: Services, arg?: unknown): Promise<GroupLabel | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(LABELS_NEED_TRUST);
    return undefined;
  }
  const a = arg as Partial<SetGroupLabelArgs> | undefined;
  if (!a || typeof a.file !== 'string' || typeof a.layer !== 'string' || typeof a.group !== 'number') {
    void vscode.window.showErrorMessage('NeurFlow: Set Group Label needs { file, layer, group } (it is called from the panel).');
    return undefined;
  }
  try {
    const { doc, scan } = services.results.read(a.file);
    const ref = { layer: a.layer, group: a.group };
    const { grouping, index } = findGroup(doc, ref);
    const current = grouping.groups[index].label;
    const text =
      a.text ??
      (await vscode.window.showInputBox({
        title: `NeurFlow: label of group G${a.group} of ${a.layer}`,
        value: current?.text ?? '',
        prompt: current
          ? `Now: ${current.text} (${current.source === 'user' ? 'yours' : current.source === 'data' ? 'from the data' : (current.model ?? 'language model')}). Empty: no label.`
          : 'Empty: no label.',
      }));
    if (text === undefined) return undefined;
    const next = setUserLabel(doc, ref, text);
    writeResult(a.file, next);
    refreshPanels(services, a.file, next, scan);
    return findGroup(next, ref).grouping.groups[index].label;
  } catch (e) {
    void vscode.window.showErrorMessage(`NeurFlow: saving the label failed: ${(e as Error).message}`);
    return undefined;
  }
}

/** The two commands; `neurflow.setGroupLabel` is for the panel's host code (not in the palette). */
export function registerLabelCommands(context: vscode.ExtensionContext, services: Services): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('neurflow.labelGroups', (arg?: unknown) => labelGroupsCommand(context, services, arg)),
    vscode.commands.registerCommand('neurflow.setGroupLabel', (arg?: unknown) => setGroupLabelCommand(services, arg)),
  );
}

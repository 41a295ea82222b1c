/**
 * The result panel's label requests: `labelGroups` and `setLabel` go to the commands
 * `neurflow.labelGroups` and `neurflow.setGroupLabel` with the panel's result file. The commands save the labels
 * and post the updated result (and a notice saying where the labels came from) to the panels showing that file;
 * a panel they did not reach gets them here. A refusal or a failure answers as a notice, never as silence.
 */
import * as vscode from 'vscode';
import type { GroupLabel, ResultDocument } from '../../engine/result/schema';
import type { LabelGroupsRequest, NoticeMessage, ResultViewMessage, SetLabelMessage } from '../../protocol/webview';
import { LABELS_NEED_TRUST, type LabelGroupsReport } from '../labels/command';
import type { ModelPanel } from '../panel';
import type { Services } from '../services';
import { resultView } from './view';

const notice = (level: NoticeMessage['level'], message: string): NoticeMessage => ({ type: 'notice', level, message });

/** Why the labels of `layer` at the webview's `groupCount` cannot be saved in `doc`, or undefined when they can. */
function groupingMismatch(doc: ResultDocument, layer: string | undefined, group: number | undefined, groupCount: number | undefined): string | undefined {
  if (layer === undefined) return undefined;
  const l = doc.layers.find((x) => x.name === layer);
  if (!l) return `layer ${layer} is not in the saved result`;
  if (!l.grouping) return `layer ${layer} has no groups`;
  if (groupCount !== undefined && groupCount !== l.grouping.count) {
    return (
      `the saved result groups ${layer} into ${l.grouping.count} groups but the panel shows ${groupCount}; labels belong to the ` +
      `saved grouping (set the count back to ${l.grouping.count}, or wait until the new count is saved)`
    );
  }
  if (group !== undefined && group >= l.grouping.groups.length) return `layer ${layer} has no group ${group} (it has ${l.grouping.groups.length})`;
  return undefined;
}

/** Posts the saved result to `panel` when the command's refresh did not reach it (e.g. a panel restored under another key). */
function refresh(services: Services, panel: ModelPanel, before: ResultViewMessage, file: string): boolean {
  if (panel.closed || panel.view !== before) return false;
  const { doc, scan } = services.results.read(file);
  panel.post(resultView(panel, doc, file, scan));
  return true;
}

async function setLabel(services: Services, panel: ModelPanel, view: ResultViewMessage, file: string, m: SetLabelMessage): Promise<NoticeMessage | undefined> {
  const where = `${m.layer}/G${m.group}`;
  const why = groupingMismatch(services.results.read(file).doc, m.layer, m.group, m.groupCount);
  if (why) {
    refresh(services, panel, view, file); // the webview shows the label it sent: back to the saved one
    return notice('warning', `The label of ${where} was not saved: ${why}.`);
  }
  await vscode.commands.executeCommand<GroupLabel | undefined>('neurflow.setGroupLabel', { file, layer: m.layer, group: m.group, text: m.text });
  // The command reports failures in a message box and resolves undefined; check what the file holds now.
  const saved = services.results.read(file).doc.layers.find((l) => l.name === m.layer)?.grouping?.groups[m.group]?.label;
  const text = m.text.replace(/\s+/g, ' ').trim();
  const ok = text ? saved?.source === 'user' && saved.text === text : saved === undefined;
  refresh(services, panel, view, file);
  if (!ok) return notice('error', `The label of ${where} was not saved in ${file}.`);
  services.log.info(`labels: ${where} of ${file} ${text ? `set to "${text}"` : 'removed'} by the user`);
  return undefined;
}

async function labelGroups(
  services: Services,
  panel: ModelPanel,
  view: ResultViewMessage,
  file: string,
  m: LabelGroupsRequest,
): Promise<NoticeMessage | undefined> {
  const why = groupingMismatch(services.results.read(file).doc, m.layer, m.group, m.groupCount);
  if (why) return notice('warning', `Nothing was labelled: ${why}.`);
  const report = await vscode.commands.executeCommand<LabelGroupsReport | undefined>('neurflow.labelGroups', {
    file,
    ...(m.layer !== undefined ? { layer: m.layer } : {}),
    ...(m.group !== undefined ? { group: m.group } : {}),
  });
  if (!report) return notice('info', 'Label Groups did not run: no label was changed.');
  // The command told the panels showing the file; one it did not reach gets the result and the message here.
  if (refresh(services, panel, view, file)) return notice(report.labels.some((l) => l.source === 'data') ? 'warning' : 'info', report.message);
  return undefined;
}

/** Answers a label request of a result panel. */
export async function labelRequest(services: Services, panel: ModelPanel, m: LabelGroupsRequest | SetLabelMessage): Promise<NoticeMessage | undefined> {
  const view = panel.view;
  if (view?.type !== 'result' || !view.file) {
    return notice('warning', 'Labels are saved in the result file: this panel shows no saved result.');
  }
  if (!vscode.workspace.isTrusted) return notice('warning', LABELS_NEED_TRUST.replace(/^NeurFlow: l/, 'L'));
  try {
    return m.type === 'setLabel' ? await setLabel(services, panel, view, view.file, m) : await labelGroups(services, panel, view, view.file, m);
  } catch (e) {
    return notice('error', `${m.type === 'setLabel' ? 'Saving the label' : 'Labelling the groups'} failed: ${(e as Error).message}`);
  }
}

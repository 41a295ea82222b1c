/**
 * What the result panel asks of the host: explain an image and mask a group (worker jobs on the saved result),
 * jump to a layer's code, open an image or a file (a source file at a line: the paused line of Explain Batch),
 * keep a layer's group count, label groups and set a label (./label-actions.ts). Every request answers: a
 * failure comes back inside the answer (`error`) or as a notice, never as silence.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type {
  ExplainImageRequest,
  ExplanationMessage,
  ExportCircuitMessage,
  ExportReportMessage,
  FromWebview,
  MaskGroupRequest,
  MaskResultMessage,
  NoticeMessage,
  OpenAnalysisMessage,
  ResultViewMessage,
  ToWebview,
} from '../../protocol/webview';
import { jumpToCode } from '../code/jump';
import { readSettings } from '../config';
import type { ModelPanel, PanelHandler } from '../panel';
import type { Services } from '../services';
import { openRefusal, servableRoot, type AccessContext } from './access';
import { auditRequest, exportAudit } from './audit-actions';
import { atlasAction } from './atlas';
import { labelRequest } from './label-actions';
import { embedImages, pngBytes } from './report';
import { changeAnswer } from '../flow/answers';
import { resultView } from './view';

function resultOf(panel: ModelPanel): ResultViewMessage | undefined {
  const view = panel.view;
  return view?.type === 'result' ? view : undefined;
}

/** Why a result cannot run the model now, or undefined when it can. */
function cannotRun(view: ResultViewMessage | undefined): string | undefined {
  if (!view) return 'the panel shows no analysis result';
  if (!view.file) return 'this result has no file to run from';
  if (!vscode.workspace.isTrusted) return 'running the model needs a trusted workspace';
  if (view.readOnly) return `the analysed model ${view.doc.model.path} is not available`;
  if (!view.datasetRoot) return `the dataset folder ${view.doc.dataset.root} was not found`;
  return undefined;
}

function imagePath(view: ResultViewMessage, image: string): string {
  return path.isAbsolute(image) ? image : path.join(view.datasetRoot!, ...image.split('/'));
}

function runtime(view: ResultViewMessage) {
  const s = readSettings(vscode.Uri.file(view.doc.model.path));
  return { provider: s.provider, threads: s.threads || undefined };
}

async function explain(services: Services, panel: ModelPanel, m: ExplainImageRequest): Promise<ExplanationMessage> {
  const view = resultOf(panel);
  const base: ExplanationMessage = {
    type: 'explanation',
    requestId: m.requestId,
    image: m.image,
    layer: m.layer,
    groupCount: m.groupCount,
    threshold: 0,
    groups: [],
  };
  const why = cannotRun(view);
  if (why) return { ...base, error: `Cannot explain ${m.image}: ${why}` };
  try {
    const r = await services.worker.request('explainImage', {
      result: view!.file!,
      image: imagePath(view!, m.image),
      layer: m.layer,
      groupCount: m.groupCount,
      ...runtime(view!),
    });
    return { ...base, groupCount: r.groupCount, threshold: r.threshold, groups: r.groups, top: r.top };
  } catch (e) {
    return { ...base, error: `Explaining ${m.image} at ${m.layer} failed: ${(e as Error).message}` };
  }
}

async function mask(services: Services, panel: ModelPanel, m: MaskGroupRequest): Promise<MaskResultMessage> {
  const view = resultOf(panel);
  const base: MaskResultMessage = {
    type: 'maskResult',
    requestId: m.requestId,
    image: m.image,
    layer: m.layer,
    group: m.group,
    classIndex: m.classIndex,
    before: 0,
    after: 0,
    topBefore: [],
    top: [],
  };
  const why = cannotRun(view);
  if (why) return { ...base, error: `Cannot mask group ${m.group} of ${m.layer}: ${why}` };
  try {
    const r = await services.worker.request('maskGroup', {
      result: view!.file!,
      image: imagePath(view!, m.image),
      layer: m.layer,
      channels: m.channels,
      classIndex: m.classIndex,
      ...runtime(view!),
    });
    return { ...base, ...r };
  } catch (e) {
    return { ...base, error: `Masking group ${m.group} of ${m.layer} failed: ${(e as Error).message}` };
  }
}

async function keepGroupCount(services: Services, panel: ModelPanel, layer: string, count: number | null): Promise<NoticeMessage | undefined> {
  const view = resultOf(panel);
  if (!view?.file || !vscode.workspace.isTrusted) return undefined; // the webview re-groups by itself; nothing to keep
  try {
    await services.worker.request('regroup', { result: view.file, layer, count });
    // A reload of the webview replays the view: let it carry the saved grouping.
    panel.replaceView({ ...view, doc: services.results.read(view.file).doc });
    return undefined;
  } catch (e) {
    return { type: 'notice', level: 'warning', message: `The group count of ${layer} was not saved: ${(e as Error).message}` };
  }
}

async function openInEditor(uri: vscode.Uri, panel: ModelPanel, line?: number): Promise<void> {
  const column = panel.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
  if (/\.(png|jpe?g|gif|webp|bmp|svg)$/i.test(uri.path)) {
    await vscode.commands.executeCommand('vscode.open', uri, { viewColumn: column, preview: true });
    return;
  }
  if (uri.path.endsWith('.onnx')) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return;
  }
  const pos = line ? new vscode.Position(line - 1, 0) : undefined;
  await vscode.window.showTextDocument(uri, { viewColumn: column, ...(pos ? { selection: new vscode.Range(pos, pos) } : {}) });
}

/** The handler of every panel's requests. */
export function panelActions(services: () => Services): PanelHandler {
  return async (m: FromWebview, panel: ModelPanel): Promise<ToWebview | undefined> => {
    const s = services();
    switch (m.type) {
      case 'explainImage':
        return explain(s, panel, m);
      case 'maskGroup':
        return mask(s, panel, m);
      case 'runAudit':
        return auditRequest(s, panel, m);
      case 'exportAudit':
        return exportAudit(panel, m);
      case 'jumpToCode': {
        const model = modelOf(panel);
        if (!model) return { type: 'notice', level: 'warning', message: `Jump to code: this panel does not know its model file` };
        const report = await jumpToCode(s, model, m.layer, m.tensor, panel.panel.viewColumn);
        return report.target ? undefined : { type: 'notice', level: 'warning', message: report.message };
      }
      case 'openImage':
      case 'openFile': {
        // Only inside the dataset root or the workspace, or a file the host put in the view (access.ts).
        const why = openRefusal(m.path, openFolders(panel), viewFiles(panel));
        if (why) {
          s.log.warn(`panel: refused to open ${m.path}: ${why}`);
          return { type: 'notice', level: 'warning', message: why };
        }
        await openInEditor(vscode.Uri.file(m.path), panel, m.type === 'openFile' ? m.line : undefined);
        return undefined;
      }
      case 'setGroupCount':
        return keepGroupCount(s, panel, m.layer, m.count);
      case 'labelGroups':
      case 'setLabel':
        return labelRequest(s, panel, m);
      case 'selectGroup':
        s.log.debug(`panel: selected ${m.layer}/G${m.group} of ${m.groupCount}`);
        return undefined;
      case 'changeAnswer':
        return changeAnswer(s, panel, m);
      case 'showBatch': {
        const batch = panel.batch;
        if (!batch)
          return { type: 'notice', level: 'warning', message: 'This panel has no batch: run NeurFlow: Explain Batch while a Python debug session is paused' };
        panel.post(batch);
        return undefined;
      }
      case 'openAnalysis':
        return openAnalysis(s, panel, m);
      case 'changeBatchAnalysis':
        // Explain Batch again, asking which saved analyses to use (it needs the debug session still paused).
        // Same ONNX model and expressions as the batch shown.
        void vscode.commands.executeCommand('neurflow.explainBatch', { pickAnalyses: true, model: panel.batch?.model });
        return undefined;
      case 'exportCircuit':
      case 'exportReport':
        return exportFromPanel(s, panel, m);
      case 'openAtlasClass':
      case 'showAtlas':
      case 'compareWith':
      case 'openCompared':
        return atlasAction(s, panel, m);
      default:
        return undefined;
    }
  };
}

/**
 * Shows one of the kept batch's analyses (only a file the batch names, or the result shown) at a tab, with a group
 * selected; the batch stays behind the result view's Batch tab.
 */
async function openAnalysis(s: Services, panel: ModelPanel, m: OpenAnalysisMessage): Promise<NoticeMessage | undefined> {
  const known = [...(panel.batch?.results.map((r) => r.path) ?? []), resultOf(panel)?.file];
  if (!known.includes(m.result)) return { type: 'notice', level: 'warning', message: `Not an analysis of this panel: ${m.result}` };
  let read: ReturnType<Services['results']['read']>;
  try {
    read = s.results.read(m.result);
  } catch (e) {
    return { type: 'notice', level: 'error', message: `The analysis ${m.result} cannot be read: ${(e as Error).message}` };
  }
  const view = resultView(panel, read.doc, m.result, read.scan, m.tab ?? 'circuit');
  panel.post(m.layer !== undefined && m.group !== undefined ? { ...view, group: { layer: m.layer, group: m.group } } : view);
  return undefined;
}

/** Where the last export went (for the extension tests). */
export let lastExport: { file: string; kind: 'exportCircuit' | 'exportReport'; embedded?: number } | undefined;

/**
 * Saves the circuit PNG or the HTML report where the user picks (beside the result file by default). Tests set
 * `neurflow.test.exportTo` (a folder) in the environment to skip the dialog.
 */
async function exportFromPanel(s: Services, panel: ModelPanel, m: ExportCircuitMessage | ExportReportMessage): Promise<NoticeMessage | undefined> {
  const view = resultOf(panel);
  const name = m.name.replace(/[\\/:*?"<>|]+/g, '_');
  const near = view?.file ? path.dirname(view.file) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const auto = process.env.NEURFLOW_TEST_EXPORT_DIR;
  const target = auto
    ? vscode.Uri.file(path.join(auto, name))
    : await vscode.window.showSaveDialog({
        title: m.type === 'exportCircuit' ? 'NeurFlow: save the circuit as PNG' : 'NeurFlow: save the HTML report',
        defaultUri: near ? vscode.Uri.file(path.join(near, name)) : undefined,
        filters: m.type === 'exportCircuit' ? { 'PNG image': ['png'] } : { 'HTML report': ['html'] },
      });
  if (!target) return undefined;
  let bytes: Uint8Array;
  let embedded: number | undefined;
  if (m.type === 'exportCircuit') {
    const png = pngBytes(m.png);
    if (!png) return { type: 'notice', level: 'error', message: 'Export Circuit: the webview sent no PNG image' };
    bytes = png;
  } else {
    const r = embedImages(m.html, view?.datasetRoot);
    embedded = r.embedded;
    bytes = Buffer.from(r.html, 'utf8');
  }
  await vscode.workspace.fs.writeFile(target, bytes);
  lastExport = { file: target.fsPath, kind: m.type, embedded };
  s.log.info(`panel: ${m.type} -> ${target.fsPath}`);
  if (!auto) {
    void vscode.window.showInformationMessage(`NeurFlow: saved ${path.basename(target.fsPath)}`, 'Open').then((b) => {
      if (b) void vscode.env.openExternal(target);
    });
  }
  return { type: 'notice', level: 'info', message: `Saved ${target.fsPath}` };
}

/** The model file a panel is about. */
function modelOf(panel: ModelPanel): string | undefined {
  const v = panel.view;
  if (v?.type === 'result') return v.doc.model.path;
  if (v?.type === 'model') return v.summary.path;
  if (v?.type === 'batch') return v.model;
  return undefined;
}

/** The folders the panel may open files in: the result's servable dataset root, the workspace folders. */
function openFolders(panel: ModelPanel): (string | undefined)[] {
  const ctx = accessContext();
  const v = panel.view;
  const root = v?.type === 'result' ? servableRoot(v.datasetRoot, ctx).root : undefined;
  return [root, ...ctx.workspaceFolders];
}

/** The files the host itself put in the panel's view (the result file, the model, the paused source file). */
function viewFiles(panel: ModelPanel): (string | undefined)[] {
  const v = panel.view;
  if (v?.type === 'result') return [v.file, v.doc.model.path.endsWith('.onnx') ? v.doc.model.path : undefined];
  if (v?.type === 'model') return [v.summary.path];
  if (v?.type === 'batch') return [v.source.path, v.model, ...v.results.map((r) => r.path)];
  return [];
}

/** Trust and workspace folders now. */
export function accessContext(): AccessContext {
  return { trusted: vscode.workspace.isTrusted, workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath) };
}

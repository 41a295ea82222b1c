/**
 * NeurFlow: Open Result... (and the result editor): a saved result shown in its model's panel. One JSON read and
 * one message, no model run, so it is instant. Arguments: a result file (Uri or path), else a quick pick of the
 * saved results, with a file dialog for any `.neurflow-result.json`. An atlas's `atlas.json` (or its folder) shows the
 * atlas's class list (../results/atlas.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelPanel } from '../panel';
import type { Services } from '../services';
import { resultView } from '../results/view';
import { atlasFileOf, openAtlas, type AtlasReport } from '../results/atlas';

export interface OpenResultReport {
  file: string;
  /** Layer names the webview rendered, and its circuit nodes. */
  items: string[];
  circuit: string[];
  /** From the command to the webview's `rendered` report, and the file read alone. */
  ms: number;
  readMs: number;
  panel: string;
}

export async function openResult(services: Services, arg?: unknown): Promise<OpenResultReport | AtlasReport | undefined> {
  const file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : await pickResult(services);
  if (!file) return undefined;
  try {
    // An atlas (`neurflow atlas`: its atlas.json, or the folder holding it) shows its class list (issue 19).
    const atlas = atlasFileOf(file);
    if (atlas) return await openAtlas(services, atlas);
    return await showResult(services, file);
  } catch (e) {
    void vscode.window.showErrorMessage(`NeurFlow: ${(e as Error).message}`);
    return undefined;
  }
}

/** Shows a result file in `into`, or in the panel of the result's model. */
export async function showResult(services: Services, file: string, into?: ModelPanel): Promise<OpenResultReport> {
  const t0 = Date.now();
  const { doc, scan } = services.results.read(file);
  const readMs = Date.now() - t0;
  const panel = into ?? services.panels.open(vscode.Uri.file(doc.model.path));
  const [rendered, circuit] = await panel.show(resultView(panel, doc, file, scan), ['circuit']);
  if (!into) await services.results.record(file, doc);
  return { file, items: rendered.items, circuit: circuit.items, ms: Date.now() - t0, readMs, panel: doc.model.path };
}

async function pickResult(services: Services): Promise<string | undefined> {
  const browse = { label: '$(folder-opened) Open a Result File...', file: '' };
  const atlasFolder = { label: '$(folder-library) Open an Atlas Folder...', file: '' };
  // Rows name what differs between runs (issue 18): tau, steps, layers, groups, dataset and the model's folder.
  const items = services.results.list().map((e) => ({
    label: `${e.className}  ${path.basename(e.model)}${e.tau !== undefined ? `  τ ${e.tau}, ${e.igSteps} steps` : ''}`,
    description: `${e.layers.join(', ')}${e.groups !== undefined ? ` · ${e.groups} groups` : ''}${e.complete ? '' : ' (cancelled: finished layers only)'}`,
    detail: `${new Date(e.createdAt).toLocaleString()}, ${e.imageCount} images${e.dataset ? ` of ${e.dataset}` : ''} · ${path.dirname(e.model)}`,
    file: e.file,
  }));
  const chosen = await vscode.window.showQuickPick([...items, browse, atlasFolder], {
    title: 'NeurFlow: open a saved result',
    placeHolder: 'Class and model of the analysis',
    matchOnDescription: true,
  });
  if (!chosen) return undefined;
  if (chosen.file) return chosen.file;
  if (chosen === atlasFolder) {
    const folder = await vscode.window.showOpenDialog({ canSelectMany: false, canSelectFiles: false, canSelectFolders: true, openLabel: 'Open Atlas' });
    return folder?.[0]?.fsPath;
  }
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'NeurFlow results': ['json'] }, openLabel: 'Open Result' });
  return picked?.[0]?.fsPath;
}

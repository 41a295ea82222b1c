/**
 * Jump to Code: from a layer (or one of its groups) to the definition of its module in the workspace's Python
 * code. In order: (1) the ONNX node's `pkg.torch.onnx.stack_trace` metadata (newer torch exporters) -> the
 * innermost frame in a workspace file; (2) the module path (name scopes, node names or the layer name) looked
 * up in the workspace's symbols (a Python language server, when there is one) and in the text of its `*.py`
 * files (`self.layer2 = ...`, keyed containers, in-place `nn.Sequential` items); (3) none: say so and let the
 * user pick a file.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModuleLocation, TraceFrame } from '../../protocol/analysis';
import type { Services } from '../services';
import { findModuleDefinitions, splitModulePath } from './pydefs';

export interface JumpTarget {
  file: string;
  /** 0-based. */
  line: number;
  column: number;
  /** How it was found. */
  source: 'stack-trace' | 'symbol' | 'text' | 'picked';
}

export interface JumpReport {
  modulePath: string;
  target?: JumpTarget;
  /** What the user is told (also when nothing was found). */
  message: string;
}

const PY_EXCLUDE = '{**/node_modules/**,**/.git/**,**/.venv/**,**/venv/**,**/site-packages/**,**/dist-packages/**,**/__pycache__/**}';
const LIBRARY = /[\\/](site-packages|dist-packages|lib[\\/]python\d|torch[\\/]nn|torchvision)[\\/]/;

/** A workspace file for a traceback path from maybe another machine: the same path, else the longest matching tail. */
async function resolveFrameFile(frame: TraceFrame): Promise<vscode.Uri | undefined> {
  if (LIBRARY.test(frame.file)) return undefined;
  const direct = vscode.Uri.file(frame.file);
  if (vscode.workspace.getWorkspaceFolder(direct)) {
    try {
      await vscode.workspace.fs.stat(direct);
      return direct;
    } catch {
      /* not here: look by name */
    }
  }
  const parts = frame.file.split(/[\\/]/).filter(Boolean);
  const base = parts[parts.length - 1];
  if (!base) return undefined;
  const found = await vscode.workspace.findFiles(`**/${base}`, PY_EXCLUDE, 50);
  const tail = (u: vscode.Uri) => {
    const mine = u.fsPath.split(/[\\/]/);
    let n = 0;
    while (n < mine.length && n < parts.length && mine[mine.length - 1 - n] === parts[parts.length - 1 - n]) n++;
    return n;
  };
  return found.sort((a, b) => tail(b) - tail(a) || a.fsPath.length - b.fsPath.length)[0];
}

async function fromStackTrace(loc: ModuleLocation): Promise<JumpTarget | undefined> {
  for (const frame of [...loc.frames].reverse()) {
    const uri = await resolveFrameFile(frame);
    if (uri) return { file: uri.fsPath, line: Math.max(0, frame.line - 1), column: 0, source: 'stack-trace' };
  }
  return undefined;
}

async function fromSymbols(modulePath: string): Promise<JumpTarget | undefined> {
  const { attribute } = splitModulePath(modulePath);
  try {
    const symbols = await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', attribute);
    const hit = (symbols ?? []).find((s) => s.name === attribute && s.location.uri.path.endsWith('.py') && s.kind !== vscode.SymbolKind.Function);
    if (hit) return { file: hit.location.uri.fsPath, line: hit.location.range.start.line, column: hit.location.range.start.character, source: 'symbol' };
  } catch {
    /* no symbol provider */
  }
  return undefined;
}

/** The best text match of the module path over the workspace's Python files (`files` to search only those). */
export async function fromText(modulePath: string, files?: vscode.Uri[]): Promise<JumpTarget | undefined> {
  const uris = files ?? (await vscode.workspace.findFiles('**/*.py', PY_EXCLUDE, 2000));
  let best: (JumpTarget & { score: number }) | undefined;
  for (const uri of uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      continue;
    }
    const [d] = findModuleDefinitions(text, modulePath);
    if (d && (!best || d.score > best.score)) best = { file: uri.fsPath, line: d.line, column: d.column, source: 'text', score: d.score };
  }
  if (!best) return undefined;
  const { score: _score, ...target } = best;
  return target;
}

/** Opens the target beside the panel (in the first column when the panel is elsewhere). */
export async function openTarget(target: JumpTarget, panelColumn?: vscode.ViewColumn): Promise<vscode.TextEditor> {
  const pos = new vscode.Position(target.line, target.column);
  const column = panelColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(target.file), {
    viewColumn: column,
    selection: new vscode.Range(pos, pos),
    preserveFocus: false,
  });
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}

/** Finds and opens the definition of a layer's module; when nothing matches, offers a file picker (not awaited). */
export async function jumpToCode(services: Services, model: string, layer: string, tensor: string, panelColumn?: vscode.ViewColumn): Promise<JumpReport> {
  let loc: ModuleLocation | undefined;
  try {
    loc = await services.worker.request('locateModule', { model, tensor, layer });
  } catch (e) {
    services.log.warn(`jump to code: ${model}: ${(e as Error).message}`);
  }
  const modulePath = loc?.modulePath ?? layer;
  const target = (loc && (await fromStackTrace(loc))) ?? (await fromSymbols(modulePath)) ?? (await fromText(modulePath));
  if (target) {
    await openTarget(target, panelColumn);
    const where = `${path.basename(target.file)}:${target.line + 1}`;
    services.log.info(`jump to code: ${layer} (module ${modulePath}) -> ${target.file}:${target.line + 1} (${target.source})`);
    return { modulePath, target, message: `${modulePath}: ${where}` };
  }
  const message = `No definition of module ${modulePath} (layer ${layer}) found in the workspace's Python files.`;
  void offerPick(modulePath, panelColumn, message);
  return { modulePath, message };
}

async function offerPick(modulePath: string, panelColumn: vscode.ViewColumn | undefined, message: string): Promise<void> {
  const choose = 'Pick a File...';
  if ((await vscode.window.showWarningMessage(`NeurFlow: ${message}`, choose)) !== choose) return;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Python: ['py'], 'All files': ['*'] }, openLabel: 'Open' });
  if (!picked?.[0]) return;
  const target = await fromText(modulePath, [picked[0]]);
  await openTarget(target ? { ...target, source: 'picked' } : { file: picked[0].fsPath, line: 0, column: 0, source: 'picked' }, panelColumn);
}

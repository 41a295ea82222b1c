/**
 * NeurFlow: Compare with... (issue 19): the result a panel shows next to another result of the same class, both
 * circuits side by side with the differences marked (groups matched, only in A, only in B, weakened; edge weights
 * before and after), all from the diff engine (src/engine/diff/diff.ts, through ./atlas-view.ts compareView).
 * The other result: an argument (`with`), else a quick pick of the saved results of the class, results of the
 * class beside the shown one (e.g. another atlas folder's), or a file dialog.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ResultDocument } from '../../engine/result/schema';
import type { CompareViewMessage } from '../../protocol/atlas';
import type { ModelPanel } from '../panel';
import type { Services } from '../services';
import { compareView } from './atlas-view';

export interface CompareArgs {
  /** The panel whose result is A (default: the active NeurFlow panel). */
  panel?: ModelPanel;
  /** The result file B (default: asked). */
  with?: string;
}

export interface CompareReport {
  a: string;
  b: string;
  matched: number;
  onlyInA: number;
  onlyInB: number;
  weakened: number;
  /** Group nodes the webview drew: `A:layer/G<i>` and `B:layer/G<i>`. */
  items: string[];
}

/** The result a panel shows (a result view, or side A of a comparison). */
function shownResult(panel: ModelPanel): { doc?: ResultDocument; file: string; atlas?: string } | undefined {
  const v = panel.view;
  if (v?.type === 'result' && v.file) return { doc: v.doc, file: v.file, atlas: v.atlas };
  if (v?.type === 'compare') return { file: v.a.file, atlas: v.atlas };
  return undefined;
}

export async function compareWith(services: Services, arg?: unknown): Promise<CompareReport | undefined> {
  const args: CompareArgs = typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) ? (arg as CompareArgs) : {};
  const uri = arg instanceof vscode.Uri ? arg.fsPath : undefined;
  // The result editor's title button passes the editor's own file: that panel's result is A.
  const panel = args.panel ?? (uri ? services.panels.get(uri) : undefined) ?? services.panels.active();
  const shown = panel ? shownResult(panel) : undefined;
  if (!panel || !shown) {
    void vscode.window.showErrorMessage('NeurFlow: Compare with... compares the result a NeurFlow panel shows: open a result first (NeurFlow: Open Result...)');
    return undefined;
  }
  // A file given is B, unless it is the result shown (the title button's own file): then B is asked.
  const withFile = args.with ?? (uri && path.resolve(uri) !== path.resolve(shown.file) ? uri : undefined);
  try {
    const a = shown.doc ?? services.results.read(shown.file).doc;
    const b = withFile ?? (await pickOther(services, a, shown.file));
    if (!b) return undefined;
    const docB = services.results.read(b).doc;
    const view: CompareViewMessage = compareView(a, shown.file, docB, b, shown.atlas);
    const [rendered] = await panel.show(view);
    const layers = view.diff.layers;
    return {
      a: shown.file,
      b,
      matched: layers.reduce((n, l) => n + l.matched.length, 0),
      onlyInA: layers.reduce((n, l) => n + l.onlyInA.length, 0),
      onlyInB: layers.reduce((n, l) => n + l.onlyInB.length, 0),
      weakened: layers.reduce((n, l) => n + l.matched.filter((m) => m.weakened).length, 0),
      items: rendered.items,
    };
  } catch (e) {
    void vscode.window.showErrorMessage(`NeurFlow: Compare with...: ${(e as Error).message}`);
    return undefined;
  }
}

async function pickOther(services: Services, a: ResultDocument, fileA: string): Promise<string | undefined> {
  const browse = { label: '$(folder-opened) Compare with a Result File...', file: '' };
  const same = (f: string) => path.resolve(f) === path.resolve(fileA);
  const saved = services.results
    .list()
    .filter((e) => e.className === a.class.name && !same(e.file))
    .map((e) => ({
      label: `${e.className}  ${path.basename(e.model)}${e.tau !== undefined ? `  τ ${e.tau}, ${e.igSteps} steps` : ''}`,
      description: `${e.layers.join(', ')}${e.groups !== undefined ? ` · ${e.groups} groups` : ''}`,
      detail: `${new Date(e.createdAt).toLocaleString()} · ${e.file}`,
      file: e.file,
    }));
  // The class's file in a sibling folder (e.g. the same class of another atlas run beside this one).
  const name = path.basename(fileA);
  const siblings: { label: string; description: string; detail: string; file: string }[] = [];
  try {
    const parent = path.dirname(path.dirname(fileA));
    for (const d of await vscode.workspace.fs.readDirectory(vscode.Uri.file(parent))) {
      const f = path.join(parent, d[0], name);
      if (d[1] === vscode.FileType.Directory && !same(f) && existsSync(f) && !saved.some((s) => path.resolve(s.file) === path.resolve(f)))
        siblings.push({ label: `${a.class.name}  ${d[0]}/${name}`, description: 'beside this result', detail: f, file: f });
    }
  } catch {
    // no siblings
  }
  const chosen = await vscode.window.showQuickPick([...saved, ...siblings, browse], {
    title: `NeurFlow: compare ${a.class.name} with another result of the class`,
    placeHolder: 'A saved result of the same class, or a result file',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!chosen) return undefined;
  if (chosen.file) return chosen.file;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(fileA)),
    filters: { 'NeurFlow results': ['json'] },
    openLabel: 'Compare',
  });
  return picked?.[0]?.fsPath;
}

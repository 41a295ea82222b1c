/**
 * The atlas in the panel (issue 19): **Open Result...** on an `atlas.json` (or a folder holding one) shows the
 * class list of a `neurflow atlas` folder; a class opens its result view in the same panel, which offers the way
 * back. Groups shared across classes are found after the list is shown: the done results are read one at a time
 * with async reads (yielding between files, so the extension host stays responsive), only each group's member
 * channels are kept (cached by file and mtime), and the matching is the diff engine's Jaccard
 * (src/engine/atlas/shared.ts). Also the panel's requests of the atlas and compare views.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { groupsOf, sharedGroups, type ClassGroups } from '../../engine/atlas/shared';
import type { ResultDocument } from '../../engine/result/schema';
import type { AtlasViewMessage, CompareWithMessage, OpenAtlasClassMessage, OpenComparedMessage, ShowAtlasMessage } from '../../protocol/atlas';
import type { NoticeMessage } from '../../protocol/webview';
import type { ModelPanel } from '../panel';
import type { Services } from '../services';
import { ATLAS_FILE, atlasView, withShared } from './atlas-view';
import { compareWith } from './compare';
import { resultView } from './view';

/** Jaccard similarity of member neurons from which two groups of different classes count as shared. */
export const SHARED_THRESHOLD = 0.5;

export interface AtlasReport {
  atlas: string;
  panel: string;
  /** The class names the webview listed. */
  classes: string[];
  /** Resolves when the shared groups are computed and posted (how many groups are shared). */
  shared: Promise<number>;
}

/** The atlas index a path names: an `atlas.json`, a JSON file whose format is an atlas, or a folder holding one. */
export function atlasFileOf(file: string): string | undefined {
  try {
    if (statSync(file).isDirectory()) {
      const inside = path.join(file, ATLAS_FILE);
      return existsSync(inside) ? inside : undefined;
    }
  } catch {
    return undefined;
  }
  return path.basename(file) === ATLAS_FILE ? file : undefined;
}

/** The last view of each atlas opened in this window (with its shared groups once computed). */
const views = new Map<string, AtlasViewMessage>();
/** Each result's groups, by file, while its mtime is unchanged. */
const groupCache = new Map<string, { mtimeMs: number; groups: ClassGroups }>();

async function readAtlas(file: string): Promise<AtlasViewMessage> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`the atlas index ${file} cannot be read: ${(e as Error).message}`);
  }
  return atlasView(json, file);
}

/** Shows the atlas `file` in `into`, or in the panel of the atlas's model. */
export async function openAtlas(services: Services, file: string, into?: ModelPanel, selected?: string): Promise<AtlasReport> {
  const fresh = await readAtlas(file);
  const known = views.get(file);
  // The shared groups computed before still hold for the classes whose results are unchanged: keep them shown
  // while they are computed again.
  const view: AtlasViewMessage = { ...fresh, ...(known?.shared ? { shared: known.shared, sharedThreshold: known.sharedThreshold } : {}), sharedPending: true };
  if (selected) view.selected = selected;
  views.set(file, view);
  const panel = into ?? services.panels.open(vscode.Uri.file(view.model || file));
  panel.panel.title = `NeurFlow Atlas · ${path.basename(view.model || path.dirname(file))}`;
  const [rendered] = await panel.show(view);
  const shared = computeShared(services, panel, view);
  return { atlas: file, panel: view.model, classes: rendered.items, shared };
}

async function computeShared(services: Services, panel: ModelPanel, view: AtlasViewMessage): Promise<number> {
  const classes: ClassGroups[] = [];
  const errors: string[] = [];
  for (const row of view.classes) {
    if (row.status !== 'done') continue;
    try {
      const { mtimeMs } = await stat(row.result);
      let hit = groupCache.get(row.result);
      if (!hit || hit.mtimeMs !== mtimeMs) {
        const doc = JSON.parse(await readFile(row.result, 'utf8')) as ResultDocument;
        if (doc?.format !== 'neurflow.result' || !Array.isArray(doc.layers)) throw new Error('not a NeurFlow result');
        hit = { mtimeMs, groups: groupsOf(doc) };
        groupCache.set(row.result, hit);
      }
      classes.push({ ...hit.groups, class: row.class });
    } catch (e) {
      errors.push(`${row.class}: ${(e as Error).message}`);
    }
    // One result at a time, then let the host's other work run.
    await new Promise((r) => setImmediate(r));
  }
  const shared = sharedGroups(classes, SHARED_THRESHOLD);
  const done = withShared(view, shared, SHARED_THRESHOLD, errors);
  if (views.get(view.file) === view) views.set(view.file, done);
  if (errors.length > 0) services.log.warn(`atlas ${view.file}: ${errors.length} results not read for the shared groups: ${errors.join('; ')}`);
  // Only into the panel still showing this atlas (else the next Back to Atlas shows it).
  const current = panel.view;
  if (!panel.closed && current?.type === 'atlas' && current.file === view.file) {
    const next = { ...done, ...(current.selected ? { selected: current.selected } : {}) };
    await panel.show(next).catch(() => undefined);
  }
  return shared.length;
}

async function openClass(services: Services, panel: ModelPanel, m: OpenAtlasClassMessage): Promise<NoticeMessage | undefined> {
  const view = panel.view?.type === 'atlas' ? panel.view : undefined;
  const row = view?.classes.find((c) => c.class === m.class);
  if (!view || !row) return { type: 'notice', level: 'warning', message: `Class ${m.class} is not in the atlas shown` };
  if (row.status !== 'done') {
    const why =
      row.status === 'pending'
        ? 'it is not analysed yet'
        : row.status === 'empty'
          ? 'no image of the class was found'
          : `its analysis failed${row.error ? `: ${row.error}` : ''}`;
    return { type: 'notice', level: 'warning', message: `Class ${row.class} has no result: ${why}` };
  }
  let read: ReturnType<Services['results']['read']>;
  try {
    read = services.results.read(row.result);
  } catch (e) {
    return { type: 'notice', level: 'error', message: `The result of class ${row.class} (${row.result}) cannot be read: ${(e as Error).message}` };
  }
  const rv = resultView(panel, read.doc, row.result, read.scan, 'circuit');
  panel.post({ ...rv, atlas: view.file, ...(m.layer !== undefined && m.group !== undefined ? { group: { layer: m.layer, group: m.group } } : {}) });
  return undefined;
}

/** The atlas files a panel may go back to: one it showed in this window, or the one its result view names. */
function knownAtlas(panel: ModelPanel, file: string): boolean {
  const v = panel.view;
  return views.has(file) || (v?.type === 'result' && v.atlas === file) || (v?.type === 'compare' && v.atlas === file);
}

async function openCompared(services: Services, panel: ModelPanel, m: OpenComparedMessage): Promise<NoticeMessage | undefined> {
  const v = panel.view;
  if (v?.type !== 'compare') return { type: 'notice', level: 'warning', message: 'This panel shows no comparison' };
  const file = m.side === 'a' ? v.a.file : v.b.file;
  let read: ReturnType<Services['results']['read']>;
  try {
    read = services.results.read(file);
  } catch (e) {
    return { type: 'notice', level: 'error', message: `The result ${file} cannot be read: ${(e as Error).message}` };
  }
  const rv = resultView(panel, read.doc, file, read.scan);
  panel.post(m.side === 'a' && v.atlas ? { ...rv, atlas: v.atlas } : rv);
  return undefined;
}

/** The panel's atlas and compare requests. */
export async function atlasAction(
  services: Services,
  panel: ModelPanel,
  m: OpenAtlasClassMessage | ShowAtlasMessage | CompareWithMessage | OpenComparedMessage,
): Promise<NoticeMessage | undefined> {
  switch (m.type) {
    case 'openAtlasClass':
      return openClass(services, panel, m);
    case 'showAtlas':
      if (!knownAtlas(panel, m.atlas)) return { type: 'notice', level: 'warning', message: `Not an atlas of this panel: ${m.atlas}` };
      try {
        await openAtlas(services, m.atlas, panel, m.selected);
      } catch (e) {
        return { type: 'notice', level: 'error', message: (e as Error).message };
      }
      return undefined;
    case 'compareWith':
      await compareWith(services, { panel });
      return undefined;
    case 'openCompared':
      return openCompared(services, panel, m);
  }
}

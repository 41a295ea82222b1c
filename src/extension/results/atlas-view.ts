/**
 * The atlas and compare views' messages (issue 19), built from files and documents without vscode (unit- and
 * webview-tested): `atlasView` from an atlas index (`neurflow atlas`: OUTDIR/atlas.json), `compareView` from two
 * results of one class through the diff engine (src/engine/diff/diff.ts; no matching code of its own).
 */
import * as path from 'node:path';
import { ATLAS_FILE } from '../../engine/atlas/files';
import { groupsOf, type SharedGroupLink } from '../../engine/atlas/shared';
import { diffResults } from '../../engine/diff/diff';
import type { ResultDocument } from '../../engine/result/schema';
import { ATLAS_STATUSES, type AtlasClassRow, type AtlasViewMessage, type CompareSide, type CompareViewMessage } from '../../protocol/atlas';
import { isInside } from './access';

/** The file name of an atlas index. */
export { ATLAS_FILE };

const nat = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? Math.floor(x) : 0);
const frac = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * The atlas view of an index file's JSON (`indexJson`, parsed) at `file`. Throws a message naming the file when it
 * is no atlas. A class's result path must lie in the atlas folder (the index is data: it opens nothing elsewhere).
 */
export function atlasView(indexJson: unknown, file: string): AtlasViewMessage {
  const x = indexJson as Record<string, unknown> | undefined;
  if (!x || typeof x !== 'object' || x.format !== 'neurflow.atlas' || !Array.isArray(x.classes)) {
    throw new Error(`${file} is not a NeurFlow atlas index (expected "format": "neurflow.atlas" and a "classes" list, as \`neurflow atlas\` writes)`);
  }
  const folder = path.dirname(file);
  const classes: AtlasClassRow[] = [];
  for (const c of x.classes as Record<string, unknown>[]) {
    if (!c || typeof c.class !== 'string') continue;
    const result = path.resolve(folder, typeof c.result === 'string' ? c.result : `${c.class}.neurflow-result.json`);
    if (!isInside(result, folder)) continue;
    const status = (ATLAS_STATUSES as readonly unknown[]).includes(c.status) ? (c.status as AtlasClassRow['status']) : 'pending';
    classes.push({
      class: c.class,
      index: nat(c.index),
      status,
      result,
      images: nat(c.images),
      predicted: nat(c.predicted),
      correct: nat(c.correct),
      accuracy: frac(c.accuracy),
      precision: frac(c.precision),
      errors: nat(c.errors),
      falsePositives: nat(c.falsePositives),
      ...(typeof c.suspectedLabelErrors === 'number' ? { suspectedLabelErrors: nat(c.suspectedLabelErrors) } : {}),
      ...(typeof c.shortcuts === 'number' ? { shortcuts: nat(c.shortcuts) } : {}),
      ...(typeof c.error === 'string' ? { error: c.error } : {}),
    });
  }
  return {
    type: 'atlas',
    file,
    folder,
    model: typeof x.model === 'string' ? x.model : '',
    ...(typeof x.accuracy === 'number' && Number.isFinite(x.accuracy) ? { accuracy: x.accuracy } : {}),
    ...(typeof x.imageCount === 'number' ? { imageCount: nat(x.imageCount) } : {}),
    classes,
  };
}

/** The atlas view with the shared groups filled in. */
export function withShared(view: AtlasViewMessage, shared: SharedGroupLink[], threshold: number, errors: string[]): AtlasViewMessage {
  const { sharedPending: _p, ...rest } = view;
  return { ...rest, shared, sharedThreshold: threshold, ...(errors.length > 0 ? { sharedErrors: errors } : { sharedErrors: undefined }) };
}

function side(doc: ResultDocument, file: string): CompareSide {
  const model = doc.model.path.split(/[\\/]/).pop() ?? doc.model.path;
  return {
    file,
    // The folder too: two runs of a class often have the same file name (two atlas folders).
    title: `${path.basename(path.dirname(file))}/${path.basename(file)} · ${model} · ${doc.createdAt.slice(0, 16).replace('T', ' ')}`,
    createdAt: doc.createdAt,
    complete: doc.complete,
    layers: groupsOf(doc).layers.map(({ name, groups }) => ({ name, groups })),
    circuit: doc.circuit.map((c) => ({ upper: c.upper, lower: c.lower, edges: c.edges.map((e) => ({ from: e.from, to: e.to, weight: e.weight })) })),
  };
}

/** The compare view of two results of one class (throws the diff engine's message when they cannot be compared). */
export function compareView(a: ResultDocument, fileA: string, b: ResultDocument, fileB: string, atlas?: string): CompareViewMessage {
  const [na, nb] = [path.basename(fileA), path.basename(fileB)];
  const names: [string, string] = na === nb ? [`A (${na})`, `B (${nb})`] : [na, nb];
  const diff = diffResults(a, b, { names });
  return { type: 'compare', class: a.class.name, model: a.model.path, a: side(a, fileA), b: side(b, fileB), diff, ...(atlas ? { atlas } : {}) };
}

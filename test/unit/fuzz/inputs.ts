/**
 * Mutated sidecars (`<model>.neurflow.json`) and CSV manifests for the fuzz suite and bench/fuzz.ts. A sidecar
 * goes through resolvePreprocessing against a real model input and, when accepted, preprocesses an image; a
 * manifest goes through openDataset (listing, labels, display names) and the dataset fingerprint.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { datasetFingerprint, openDataset } from '../../../src/engine/data/dataset';
import { preprocess } from '../../../src/engine/data/preprocess';
import { resolvePreprocessing } from '../../../src/engine/data/sidecar';
import type { ModelInput } from '../../../src/engine/onnx/model';
import { REPO_ROOT } from '../../helpers/shared';
import { jsonPaths, mutateBytes, mutateJson, oddValue, type Rng } from './harness';

export const SIDECAR_FIXTURE = path.join(REPO_ROOT, 'demo', 'model', 'shortcut-resnet.neurflow.json');

/** The model inputs a sidecar is resolved against: fixed 64 x 64 RGB, and dynamic height and width. */
export const INPUTS: ModelInput[] = [
  { name: 'input', shape: ['batch', 3, 64, 64], channels: 3, height: 64, width: 64 },
  { name: 'x', shape: ['N', 1, 'h', 'w'], channels: 1, height: 0, width: 0 },
];

export interface InputsSandbox {
  dir: string;
  model: string;
  sidecar: { text: string; value: unknown; paths: (string | number)[][] };
  manifest: string;
}

/** A folder with a model path (its sidecar is written per case) and a small dataset with a manifest. */
export function sandbox(): InputsSandbox {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-fuzz-in-'));
  for (const rel of ['data/a/1.png', 'data/a/2.png', 'data/b/1.png', 'data/b/sub/3.jpg', 'data/c d/é.png']) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), 'x');
  }
  const text = readFileSync(SIDECAR_FIXTURE, 'utf8');
  const value = JSON.parse(text) as unknown;
  const manifest = 'path,label\ndata/a/1.png,0\ndata/a/2.png,0\n"data/b/1.png",1\ndata/b/sub/3.jpg,1\n"data/c d/é.png",2\n';
  return { dir, model: path.join(dir, 'm.onnx'), sidecar: { text, value, paths: jsonPaths(value) }, manifest };
}

/** A mutated sidecar text. */
export function mutateSidecar(rng: Rng, box: InputsSandbox): { text: string; what: string } {
  if (rng.chance(0.2)) {
    const { bytes, what } = mutateBytes(rng, new TextEncoder().encode(box.sidecar.text));
    return { text: new TextDecoder().decode(bytes), what: `text ${what}` };
  }
  const { value, what } = mutateJson(rng, box.sidecar.value, box.sidecar.paths);
  return { text: JSON.stringify(value), what };
}

/** Resolves a sidecar and preprocesses a small image with it; throws what they throw. */
export function exerciseSidecar(box: InputsSandbox, text: string, input: ModelInput): void {
  writeFileSync(path.join(box.dir, 'm.neurflow.json'), text);
  const { preprocessing } = resolvePreprocessing(box.model, input);
  const sides = [
    ...preprocessing.size,
    ...(preprocessing.centerCrop ?? []),
    ...(typeof preprocessing.resize === 'number' ? [preprocessing.resize] : (preprocessing.resize ?? [])),
  ];
  if (sides.every((s) => s <= 512)) {
    const img = { width: 20, height: 14, channels: 3, data: new Uint8Array(20 * 14 * 3).fill(100) };
    preprocess(img, preprocessing);
  }
}

const LINE_EDITS: ((rng: Rng, line: string) => string)[] = [
  () => '',
  (_r, l) => `${l},extra`,
  (_r, l) => l.replace(',', ';'),
  (r, l) => `${l.split(',')[0]},${String(oddValue(r))}`,
  (r, l) => `${String(oddValue(r))},${l.split(',')[1] ?? ''}`,
  (_r, l) => `"${l}`,
  (_r, l) => `${l}\r`,
  (_r, l) => l.split(',')[0],
  (r, l) => `${r.pick(['/etc/passwd', '../../x.png', '/', 'data', 'data/a', '\u0000.png', 'data/a/1.png'])},${l.split(',')[1] ?? '0'}`,
  (r, l) => `${l.split(',')[0]},${r.pick(['99999999999', '1e3', '-1', '1.5', ' 2 ', 'cat', '', '0x1', '4294967296'])}`,
];

/** A mutated manifest text: line edits (paths, labels, quotes, separators) or byte mutations. */
export function mutateManifest(rng: Rng, box: InputsSandbox): { text: Uint8Array; what: string } {
  if (rng.chance(0.3)) {
    const { bytes, what } = mutateBytes(rng, new TextEncoder().encode(box.manifest));
    return { text: bytes, what: `bytes ${what}` };
  }
  const lines = box.manifest.split('\n');
  const whats: string[] = [];
  for (let k = 0; k < 1 + rng.int(3); k++) {
    const i = rng.int(lines.length);
    const edit = rng.int(LINE_EDITS.length);
    lines[i] = LINE_EDITS[edit](rng, lines[i]);
    whats.push(`line ${i + 1} edit ${edit}`);
  }
  if (rng.chance(0.1)) lines.push(...lines.slice(1));
  return { text: new TextEncoder().encode(lines.join(rng.chance(0.2) ? '\r\n' : '\n')), what: whats.join(', ') };
}

/** Opens a manifest and fingerprints it; throws what they throw. */
export function exerciseManifest(box: InputsSandbox, text: Uint8Array): void {
  const file = path.join(box.dir, 'list.csv');
  writeFileSync(file, text);
  const ds = openDataset(file, { modelLabels: ['a', 'b', 'c'] });
  datasetFingerprint(ds);
  for (const it of ds.items)
    if (it.label < 0 || it.label >= ds.classes.length || !Number.isInteger(it.label))
      throw new Error(`item ${it.path} has label ${it.label} of ${ds.classes.length} classes`);
}

/**
 * A random dataset tree under `root`: class folders, nested folders, image files, and symbolic links to folders
 * (loops, links to the root, to other classes, to themselves) and to files, some broken.
 */
export function randomTree(rng: Rng, root: string): void {
  const dirs = [root];
  const files: string[] = [];
  for (let c = 0; c < 2 + rng.int(3); c++) {
    const d = path.join(root, `class${c}`);
    mkdirSync(d);
    dirs.push(d);
  }
  for (let i = 0; i < 6 + rng.int(10); i++) {
    const parent = rng.pick(dirs.slice(1));
    if (rng.chance(0.3)) {
      const d = path.join(parent, `d${i}`);
      mkdirSync(d);
      dirs.push(d);
    } else {
      const f = path.join(parent, `f${i}.png`);
      writeFileSync(f, 'x');
      files.push(f);
    }
  }
  for (let i = 0; i < 1 + rng.int(6); i++) {
    const parent = rng.pick(dirs.slice(1));
    const target = rng.chance(0.6) ? rng.pick(dirs) : rng.chance(0.8) && files.length > 0 ? rng.pick(files) : path.join(parent, 'missing');
    const link = path.join(parent, `l${i}${target.endsWith('.png') ? '.png' : ''}`);
    try {
      symlinkSync(rng.chance(0.5) ? path.relative(parent, target) || '.' : target, link);
    } catch {
      // a name already taken: skip this link
    }
  }
}

/** Opens a random tree: every real file is listed at most once; throws what openDataset throws. */
export function exerciseTree(root: string): void {
  const ds = openDataset(root);
  const seen = new Set<string>();
  for (const it of ds.items) {
    const real = realpathSync(it.file);
    if (seen.has(real)) throw new Error(`${real} listed twice`);
    seen.add(real);
  }
}

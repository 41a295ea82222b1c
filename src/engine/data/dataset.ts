/**
 * Datasets in the layouts users already have:
 *
 * - ImageFolder (a folder): one sub-folder per class; sorted folder names give the class indices and files are
 *   listed as torchvision's `ImageFolder` lists them (class by class, `sorted(os.walk(...))`, sorted file names,
 *   torchvision's image extensions, case-insensitive). An optional `labels.txt` at the root gives display names,
 *   one per line in index order.
 * - CSV manifest (a `.csv` file): `path,label` rows (a header naming the columns is optional); paths relative to
 *   the manifest's folder; labels are class indices or class names. Names are mapped through the model's class
 *   names when they all appear there, else sorted.
 *
 * Problems do not stop the scan: a missing file is skipped and listed with its reason; empty class folders and
 * a `labels.txt` that does not match the folders are warnings (the folder names are used instead).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../errors';
import { parseCsv } from './csv';

/** torchvision's IMG_EXTENSIONS. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

export interface DatasetItem {
  /** Relative to the dataset root, with `/` separators (absolute for CSV paths outside the root). */
  path: string;
  /** Absolute file path. */
  file: string;
  /** Given class index. */
  label: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface Dataset {
  layout: 'imagefolder' | 'csv';
  /** The folder that paths are relative to (for CSV: the manifest's folder). */
  root: string;
  /** The folder or the manifest file the user gave. */
  source: string;
  /** Class keys: folder names (ImageFolder), or the label values of a manifest, in index order. */
  classes: string[];
  /** Display names in index order (labels.txt, the model's names, else the class keys). */
  names: string[];
  /** Where `names` came from. */
  namesFrom: 'labels.txt' | 'model' | 'classes';
  items: DatasetItem[];
  /** Entries that could not be listed (missing files, bad manifest rows). Decoding failures come later. */
  skipped: SkippedFile[];
  /** Empty class folders, a labels.txt that does not fit, ignored files. */
  warnings: string[];
}

export interface OpenOptions {
  /** The model's class names (sidecar `labels`), used for display names and to map CSV label names. */
  modelLabels?: string[];
  /** File extensions to list (default: torchvision's). */
  extensions?: readonly string[];
}

/** Opens a dataset: a folder is ImageFolder, a `.csv` file is a manifest. */
export function openDataset(source: string, options: OpenOptions = {}): Dataset {
  const abs = path.resolve(source);
  if (!existsSync(abs)) throw new DataError(`${source}: no such folder or file`);
  if (statSync(abs).isDirectory()) return openImageFolder(abs, source, options);
  if (/\.(csv|tsv|txt)$/i.test(abs)) return openManifest(abs, source, options);
  throw new DataError(`${source}: not a dataset (give a folder with one sub-folder per class, or a CSV manifest "path,label")`);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isImage(name: string, extensions: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return extensions.some((e) => lower.endsWith(e));
}

/** Files under `dir` in torchvision's order: directories sorted by path, files sorted within each. */
function walk(dir: string): { files: string[]; errors: SkippedFile[] } {
  const dirs: string[] = [];
  const errors: SkippedFile[] = [];
  const filesOf = new Map<string, string[]>();
  const visit = (d: string) => {
    dirs.push(d);
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      errors.push({ path: d, reason: `cannot list the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      filesOf.set(d, []);
      return;
    }
    const files: string[] = [];
    for (const e of entries) {
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = statSync(path.join(d, e.name));
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          errors.push({ path: path.join(d, e.name), reason: 'broken symbolic link' });
        }
      }
      if (isDir) visit(path.join(d, e.name));
      else if (isFile) files.push(e.name);
    }
    filesOf.set(d, files.sort(byCodePoint));
  };
  visit(dir);
  dirs.sort(byCodePoint);
  return { files: dirs.flatMap((d) => filesOf.get(d)!.map((f) => path.join(d, f))), errors };
}

function toRel(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}

function openImageFolder(root: string, source: string, options: OpenOptions): Dataset {
  const extensions = options.extensions ?? IMAGE_EXTENSIONS;
  const entries = readdirSync(root, { withFileTypes: true });
  const classes = entries
    .filter((e) => e.isDirectory() || (e.isSymbolicLink() && statSync(path.join(root, e.name), { throwIfNoEntry: false })?.isDirectory()))
    .map((e) => e.name)
    .sort(byCodePoint);
  const looseImages = entries.filter((e) => e.isFile() && isImage(e.name, extensions)).length;
  if (classes.length === 0) {
    throw new DataError(looseImages > 0
      ? `${source}: has ${looseImages} images but no class folders; the ImageFolder layout needs one sub-folder per class (or give a CSV manifest "path,label")`
      : `${source}: no class folders found; the ImageFolder layout needs one sub-folder per class`);
  }
  const warnings: string[] = [];
  const skipped: SkippedFile[] = [];
  const items: DatasetItem[] = [];
  const ignored = new Map<string, number>();
  const empty: string[] = [];
  classes.forEach((name, label) => {
    const { files, errors } = walk(path.join(root, name));
    for (const e of errors) skipped.push({ path: toRel(root, e.path), reason: e.reason });
    let count = 0;
    for (const file of files) {
      if (isImage(file, extensions)) {
        items.push({ path: toRel(root, file), file, label });
        count++;
      } else {
        const ext = path.extname(file).toLowerCase() || '(no extension)';
        ignored.set(ext, (ignored.get(ext) ?? 0) + 1);
      }
    }
    if (count === 0) empty.push(name);
  });
  if (items.length === 0) throw new DataError(`${source}: the class folders (${classes.join(', ')}) contain no images (${extensions.join(' ')})`);
  if (empty.length > 0) {
    warnings.push(`class folder${empty.length > 1 ? 's' : ''} ${empty.map((e) => `'${e}'`).join(', ')} ${empty.length > 1 ? 'have' : 'has'} no images (${empty.length > 1 ? 'their indices are' : 'its index is'} kept)`);
  }
  if (looseImages > 0) warnings.push(`${looseImages} image${looseImages > 1 ? 's' : ''} directly in ${source} (outside class folders) ignored`);
  if (ignored.size > 0) {
    const n = [...ignored.values()].reduce((a, b) => a + b, 0);
    warnings.push(`${n} file${n > 1 ? 's' : ''} in class folders ignored (not images: ${[...ignored.keys()].join(', ')})`);
  }
  const { names, namesFrom } = displayNames(root, classes, options.modelLabels, warnings);
  return { layout: 'imagefolder', root, source, classes, names, namesFrom, items, skipped, warnings };
}

/** Display names: labels.txt at the root when it fits, else the model's names when they fit, else the keys. */
function displayNames(root: string, classes: string[], modelLabels: string[] | undefined, warnings: string[]): Pick<Dataset, 'names' | 'namesFrom'> {
  const file = path.join(root, 'labels.txt');
  if (existsSync(file)) {
    const lines = readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim());
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (lines.length === classes.length && lines.every((l) => l !== '')) return { names: lines, namesFrom: 'labels.txt' };
    warnings.push(lines.length !== classes.length
      ? `labels.txt has ${lines.length} name${lines.length === 1 ? '' : 's'} but there are ${classes.length} classes (${classes.join(', ')}); using the ${modelLabels?.length === classes.length ? "model's class names" : 'folder names'}`
      : `labels.txt has an empty line among its names; using the ${modelLabels?.length === classes.length ? "model's class names" : 'folder names'}`);
  }
  if (modelLabels && modelLabels.length === classes.length) return { names: [...modelLabels], namesFrom: 'model' };
  return { names: [...classes], namesFrom: 'classes' };
}

const PATH_COLUMNS = ['path', 'file', 'filename', 'file_name', 'image', 'filepath', 'image_path'];
const LABEL_COLUMNS = ['label', 'class', 'target', 'y', 'label_index', 'class_name'];

function openManifest(file: string, source: string, options: OpenOptions): Dataset {
  const root = path.dirname(file);
  const text = readFileSync(file, 'utf8');
  const rows = parseCsv(/\.tsv$/i.test(file) ? text.replace(/\t/g, ',') : text);
  if (rows.length === 0) throw new DataError(`${source}: the manifest is empty (rows "path,label" expected)`);
  let pathCol = 0;
  let labelCol = 1;
  const head = rows[0].fields.map((f) => f.trim().toLowerCase());
  const hp = head.findIndex((h) => PATH_COLUMNS.includes(h));
  const hl = head.findIndex((h) => LABEL_COLUMNS.includes(h));
  const hasHeader = hp >= 0 && hl >= 0;
  if (hasHeader) {
    pathCol = hp;
    labelCol = hl;
  }
  const body = hasHeader ? rows.slice(1) : rows;
  const skipped: SkippedFile[] = [];
  const good: { rel: string; file: string; label: string; line: number }[] = [];
  for (const row of body) {
    const p = row.fields[pathCol]?.trim() ?? '';
    const label = row.fields[labelCol]?.trim() ?? '';
    if (!p || !label) {
      skipped.push({ path: p || `${source}:${row.line}`, reason: `manifest line ${row.line}: ${!p ? 'no path' : 'no label'}` });
      continue;
    }
    const abs = path.resolve(root, p);
    if (!existsSync(abs)) {
      skipped.push({ path: toRel(root, abs), reason: `file not found (manifest line ${row.line})` });
      continue;
    }
    good.push({ rel: toRel(root, abs), file: abs, label, line: row.line });
  }
  const warnings: string[] = [];
  if (good.length === 0) throw new DataError(`${source}: no usable rows (${skipped.length} skipped; first: ${skipped[0]?.reason ?? 'none'})`);
  const numeric = good.every((g) => /^\d+$/.test(g.label));
  let classes: string[];
  let indexOf: (label: string) => number;
  const modelLabels = options.modelLabels;
  if (numeric) {
    const max = Math.max(...good.map((g) => Number(g.label)));
    const n = Math.max(max + 1, modelLabels?.length ?? 0);
    classes = Array.from({ length: n }, (_, i) => String(i));
    indexOf = (l) => Number(l);
  } else {
    const distinct = [...new Set(good.map((g) => g.label))];
    if (modelLabels && distinct.every((d) => modelLabels.includes(d))) classes = [...modelLabels];
    else {
      classes = distinct.sort(byCodePoint);
      const unknown = modelLabels ? distinct.filter((d) => !modelLabels.includes(d)) : [];
      if (unknown.length > 0) {
        warnings.push(`label${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((u) => `'${u}'`).join(', ')}${unknown.length > 5 ? ', ...' : ''} not among the model's class names; classes are numbered in sorted name order`);
      }
    }
    const map = new Map(classes.map((c, i) => [c, i]));
    indexOf = (l) => map.get(l)!;
  }
  const items = good.map((g) => ({ path: g.rel, file: g.file, label: indexOf(g.label) }));
  let names: string[];
  let namesFrom: Dataset['namesFrom'];
  if (numeric) {
    const named = displayNames(root, classes, modelLabels, warnings);
    names = named.names;
    namesFrom = named.namesFrom;
  } else {
    names = classes;
    namesFrom = modelLabels && classes.length === modelLabels.length && classes.every((c, i) => c === modelLabels[i]) ? 'model' : 'classes';
  }
  const counts = new Array<number>(classes.length).fill(0);
  for (const it of items) counts[it.label]++;
  const empty = classes.filter((_, i) => counts[i] === 0);
  if (empty.length > 0 && empty.length < classes.length) warnings.push(`no images labelled ${empty.map((e) => `'${e}'`).join(', ')}`);
  return { layout: 'csv', root, source, classes, names, namesFrom, items, skipped, warnings };
}

/**
 * A fingerprint of the dataset for result caching: sha256 over the sorted (path, size, mtime, label) entries.
 * Stats every file (fast: no file is read).
 */
export function datasetFingerprint(ds: Dataset): string {
  const hash = createHash('sha256');
  hash.update(`${ds.layout}\n${ds.classes.join('\u0000')}\n`);
  const entries = ds.items.map((it) => {
    const st = statSync(it.file, { throwIfNoEntry: false });
    return `${it.path}\u0000${st?.size ?? -1}\u0000${st?.mtimeMs ?? -1}\u0000${it.label}`;
  });
  for (const e of entries.sort(byCodePoint)) hash.update(`${e}\n`);
  return hash.digest('hex');
}

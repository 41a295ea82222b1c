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
import { type Dirent, existsSync, lstatSync, readdirSync, readFileSync, realpathSync, type Stats, statSync } from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../errors';
import { parseCsv } from './csv';
import { decodeFsName, fsPath } from './fs-names';

/** The most classes a dataset may have (a numeric manifest label sets the count: "99999999" would allocate it). */
export const MAX_CLASSES = 100_000;

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

/** A file found by the walk: its path (under the dataset root) and its real path (symbolic links resolved). */
interface FoundFile {
  file: string;
  real: string;
  /** Reached through a symbolic link (to the file or to a folder above it). */
  viaLink: boolean;
  label: number;
}

/** The entries of a folder, names decoded byte-exactly (see fs-names.ts), sorted by code point. */
function listFolder(dir: string): { name: string; entry: Dirent<Buffer> }[] {
  const entries = readdirSync(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
  return entries.map((entry) => ({ name: decodeFsName(entry.name), entry })).sort((a, b) => byCodePoint(a.name, b.name));
}

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/**
 * Walks the class folders, torchvision's `os.walk(followlinks=True)` without its traps: every folder is listed
 * once by its real path, so a symbolic link loop (or a second link to a folder already listed) is reported and
 * skipped instead of listing its images again and again. Real folders are walked before any symbolic link is
 * followed, so a folder is listed under its own path when it has one in the dataset. Returns the folders with
 * their files (unsorted) and the problems met.
 */
function walkClasses(root: string, classes: string[]): { dirs: { dir: string; label: number; files: FoundFile[] }[]; errors: SkippedFile[] } {
  const visited = new Map<string, string>();
  const dirs: { dir: string; label: number; files: FoundFile[] }[] = [];
  const errors: SkippedFile[] = [];
  const deferred: { dir: string; label: number }[] = [];
  const walkFrom = (start: string, label: number, viaLink: boolean) => {
    const stack = [start];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let real: string;
      try {
        real = decodeFsName(realpathSync.native(fsPath(dir), { encoding: 'buffer' }));
      } catch (e) {
        const code = errnoOf(e);
        errors.push({ path: dir, reason: code === 'ELOOP' ? 'symbolic link loop' : `cannot resolve the folder (${code})` });
        continue;
      }
      const first = visited.get(real);
      if (first !== undefined) {
        const loop = dir.startsWith(`${first}${path.sep}`);
        errors.push({
          path: dir,
          reason: loop
            ? `symbolic link loop (leads back to ${toRel(root, first) || '.'}); listed once`
            : `same folder as ${toRel(root, first)} (symbolic link); listed once`,
        });
        continue;
      }
      visited.set(real, dir);
      const files: FoundFile[] = [];
      dirs.push({ dir, label, files });
      let entries: { name: string; entry: Dirent<Buffer> }[];
      try {
        entries = listFolder(dir);
      } catch (e) {
        errors.push({ path: dir, reason: `cannot list the folder (${errnoOf(e)})` });
        continue;
      }
      const sub: string[] = [];
      for (const { name, entry } of entries) {
        const full = path.join(dir, name);
        if (entry.isSymbolicLink()) {
          let st: Stats;
          try {
            st = statSync(fsPath(full));
          } catch (e) {
            errors.push({ path: full, reason: errnoOf(e) === 'ELOOP' ? 'symbolic link loop' : 'broken symbolic link' });
            continue;
          }
          if (st.isDirectory()) deferred.push({ dir: full, label });
          else if (st.isFile()) {
            try {
              files.push({ file: full, real: decodeFsName(realpathSync.native(fsPath(full), { encoding: 'buffer' })), viaLink: true, label });
            } catch (e) {
              errors.push({ path: full, reason: `cannot resolve the symbolic link (${errnoOf(e)})` });
            }
          }
        } else if (entry.isDirectory()) sub.push(full);
        else if (entry.isFile()) files.push({ file: full, real: path.join(real, name), viaLink, label });
      }
      for (let i = sub.length - 1; i >= 0; i--) stack.push(sub[i]);
    }
  };
  // Real class folders first, then the class folders that are links, then every link met on the way.
  try {
    visited.set(decodeFsName(realpathSync.native(fsPath(root), { encoding: 'buffer' })), root);
  } catch {
    // the root was listed a moment ago; if it cannot be resolved now, its folders report why
  }
  const isLink = (c: string) => lstatSync(fsPath(path.join(root, c)), { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  classes.forEach((c, label) => {
    if (!isLink(c)) walkFrom(path.join(root, c), label, false);
  });
  classes.forEach((c, label) => {
    if (isLink(c)) walkFrom(path.join(root, c), label, true);
  });
  while (deferred.length > 0) {
    const next = deferred.shift()!;
    walkFrom(next.dir, next.label, true);
  }
  return { dirs, errors };
}

function toRel(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}

/**
 * Keeps one entry per real file: a file reached again through a symbolic link is skipped with the path it was
 * listed under (an entry not reached through a link wins; else the first in dataset order).
 */
function oncePerFile(root: string, files: FoundFile[], skipped: SkippedFile[]): FoundFile[] {
  const owner = new Map<string, FoundFile>();
  for (const f of files) if (!f.viaLink && !owner.has(f.real)) owner.set(f.real, f);
  for (const f of files) if (!owner.has(f.real)) owner.set(f.real, f);
  return files.filter((f) => {
    const first = owner.get(f.real)!;
    if (first === f) return true;
    skipped.push({ path: toRel(root, f.file), reason: `same file as ${toRel(root, first.file)} (symbolic link); listed once` });
    return false;
  });
}

function openImageFolder(root: string, source: string, options: OpenOptions): Dataset {
  const extensions = options.extensions ?? IMAGE_EXTENSIONS;
  let entries: { name: string; entry: Dirent<Buffer> }[];
  try {
    entries = listFolder(root);
  } catch (e) {
    throw new DataError(`${source}: cannot list the folder (${errnoOf(e)})`);
  }
  const isDirEntry = ({ name, entry }: { name: string; entry: Dirent<Buffer> }) =>
    entry.isDirectory() || (entry.isSymbolicLink() && (statSync(fsPath(path.join(root, name)), { throwIfNoEntry: false })?.isDirectory() ?? false));
  const classes = entries
    .filter((e) => {
      try {
        return isDirEntry(e);
      } catch {
        return false; // a link loop at the top level: not a class folder
      }
    })
    .map((e) => e.name);
  const looseImages = entries.filter((e) => e.entry.isFile() && isImage(e.name, extensions)).length;
  if (classes.length === 0) {
    throw new DataError(
      looseImages > 0
        ? `${source}: has ${looseImages} images but no class folders; the ImageFolder layout needs one sub-folder per class (or give a CSV manifest "path,label")`
        : `${source}: no class folders found; the ImageFolder layout needs one sub-folder per class`,
    );
  }
  const warnings: string[] = [];
  const skipped: SkippedFile[] = [];
  const ignored = new Map<string, number>();
  const { dirs, errors } = walkClasses(root, classes);
  for (const e of errors) skipped.push({ path: toRel(root, e.path), reason: e.reason });
  // torchvision's order: class by class, folders sorted by path, files sorted within each folder.
  const ordered: FoundFile[] = [];
  classes.forEach((_, label) => {
    const mine = dirs.filter((d) => d.label === label).sort((a, b) => byCodePoint(a.dir, b.dir));
    for (const d of mine) {
      for (const f of d.files.sort((a, b) => byCodePoint(a.file, b.file))) {
        if (isImage(f.file, extensions)) ordered.push(f);
        else {
          const ext = path.extname(f.file).toLowerCase() || '(no extension)';
          ignored.set(ext, (ignored.get(ext) ?? 0) + 1);
        }
      }
    }
  });
  const items: DatasetItem[] = oncePerFile(root, ordered, skipped).map((f) => ({ path: toRel(root, f.file), file: f.file, label: f.label }));
  const counts = new Array<number>(classes.length).fill(0);
  for (const it of items) counts[it.label]++;
  const empty = classes.filter((_, i) => counts[i] === 0);
  if (items.length === 0) throw new DataError(`${source}: the class folders (${classes.join(', ')}) contain no images (${extensions.join(' ')})`);
  if (empty.length > 0) {
    warnings.push(
      `class folder${empty.length > 1 ? 's' : ''} ${empty.map((e) => `'${e}'`).join(', ')} ${empty.length > 1 ? 'have' : 'has'} no images (${empty.length > 1 ? 'their indices are' : 'its index is'} kept)`,
    );
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
  let text: string | undefined;
  try {
    text = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  } catch (e) {
    warnings.push(`labels.txt cannot be read (${errnoOf(e)}); using the ${modelLabels?.length === classes.length ? "model's class names" : 'folder names'}`);
  }
  if (text !== undefined) {
    const lines = text.split(/\r?\n/).map((l) => l.trim());
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (lines.length === classes.length && lines.every((l) => l !== '')) return { names: lines, namesFrom: 'labels.txt' };
    warnings.push(
      lines.length !== classes.length
        ? `labels.txt has ${lines.length} name${lines.length === 1 ? '' : 's'} but there are ${classes.length} classes (${classes.join(', ')}); using the ${modelLabels?.length === classes.length ? "model's class names" : 'folder names'}`
        : `labels.txt has an empty line among its names; using the ${modelLabels?.length === classes.length ? "model's class names" : 'folder names'}`,
    );
  }
  if (modelLabels && modelLabels.length === classes.length) return { names: [...modelLabels], namesFrom: 'model' };
  return { names: [...classes], namesFrom: 'classes' };
}

const PATH_COLUMNS = ['path', 'file', 'filename', 'file_name', 'image', 'filepath', 'image_path'];
const LABEL_COLUMNS = ['label', 'class', 'target', 'y', 'label_index', 'class_name'];

function openManifest(file: string, source: string, options: OpenOptions): Dataset {
  const root = path.dirname(file);
  // Bytes that are not UTF-8 (a Latin-1 manifest naming Latin-1 file names) are kept exactly (fs-names.ts).
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataError(`${source}: cannot read the manifest (${errnoOf(e)})`);
  }
  const text = decodeFsName(bytes);
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
  const rowOf = new Map<string, number>();
  for (const row of body) {
    const p = row.fields[pathCol]?.trim() ?? '';
    const label = row.fields[labelCol]?.trim() ?? '';
    if (!p || !label) {
      skipped.push({ path: p || `${source}:${row.line}`, reason: `manifest line ${row.line}: ${!p ? 'no path' : 'no label'}` });
      continue;
    }
    const abs = path.resolve(root, p);
    let real: string;
    try {
      real = decodeFsName(realpathSync.native(fsPath(abs), { encoding: 'buffer' }));
    } catch (e) {
      const code = errnoOf(e);
      skipped.push({
        path: toRel(root, abs),
        reason: `${code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found' : code === 'ELOOP' ? 'symbolic link loop' : `cannot read the file (${code})`} (manifest line ${row.line})`,
      });
      continue;
    }
    const first = rowOf.get(real);
    if (first !== undefined) {
      skipped.push({ path: toRel(root, abs), reason: `manifest line ${row.line} names the same file as line ${first}; listed once` });
      continue;
    }
    rowOf.set(real, row.line);
    good.push({ rel: toRel(root, abs), file: abs, label, line: row.line });
  }
  const warnings: string[] = [];
  if (good.length === 0) throw new DataError(`${source}: no usable rows (${skipped.length} skipped; first: ${skipped[0]?.reason ?? 'none'})`);
  const numeric = good.every((g) => /^\d+$/.test(g.label));
  let classes: string[];
  let indexOf: (label: string) => number;
  const modelLabels = options.modelLabels;
  if (numeric) {
    const max = good.reduce((a, g) => Math.max(a, Number(g.label)), 0);
    if (max >= MAX_CLASSES) {
      const row = good.find((g) => Number(g.label) === max)!;
      throw new DataError(
        `${source}: manifest line ${row.line} labels ${row.rel} with class ${row.label}; class indices run below ${MAX_CLASSES.toLocaleString('en-US')}`,
      );
    }
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
        warnings.push(
          `label${unknown.length > 1 ? 's' : ''} ${unknown
            .slice(0, 5)
            .map((u) => `'${u}'`)
            .join(', ')}${unknown.length > 5 ? ', ...' : ''} not among the model's class names; classes are numbered in sorted name order`,
        );
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
    const st = statSync(fsPath(it.file), { throwIfNoEntry: false });
    return `${it.path}\u0000${st?.size ?? -1}\u0000${st?.mtimeMs ?? -1}\u0000${it.label}`;
  });
  for (const e of entries.sort(byCodePoint)) hash.update(`${e}\n`);
  return hash.digest('hex');
}

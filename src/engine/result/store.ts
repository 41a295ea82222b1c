/**
 * Saving and reusing result documents: atomic writes (temp file + rename), the cache key (model sha256 + dataset
 * fingerprint + parameters) and a folder of results named by key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { validateResult, type AnalysisParams, type ResultDocument } from './schema';

/** JSON with object keys sorted, so equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The key a result is stored and reused under (fingerprint: `datasetFingerprint` of data/dataset.ts). */
export function resultKey(modelSha256: string, fingerprint: string, params: AnalysisParams): string {
  return sha256Hex(canonicalJson({ model: modelSha256, dataset: fingerprint, params })).slice(0, 32);
}

/** Temp files of a write: `<file>.<pid>.<8 hex>.tmp`, in the target's folder. */
const TEMP_SUFFIX = /^\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** A temp file older than this is stale whatever its pid says (a pid can be reused). */
const STALE_TEMP_MS = 10 * 60 * 1000;
const ownTemps = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files an interrupted write of `file` left beside it (the writer was killed between writing
 * and renaming): those of a process that is gone, or older than ten minutes. Temp files of a write in progress
 * (this process's, or a live one's) are kept.
 */
export function removeStaleTemps(file: string): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const m = TEMP_SUFFIX.exec(name.slice(base.length));
    if (!m) continue;
    const tmp = path.join(dir, name);
    if (ownTemps.has(tmp)) continue;
    const pid = Number(m[1]);
    const age = now - (statSync(tmp, { throwIfNoEntry: false })?.mtimeMs ?? now);
    if (pid !== process.pid && processAlive(pid) && age < STALE_TEMP_MS) continue;
    if (pid === process.pid && age < STALE_TEMP_MS) continue;
    try {
      rmSync(tmp, { force: true });
      removed.push(tmp);
    } catch {
      // another process removed it, or it is not ours to remove: leave it
    }
  }
  return removed;
}

/**
 * Writes `text` to `file` atomically and durably: a temp file in the same folder (so the rename stays on one
 * file system), written and fsynced, renamed over the target, then the folder fsynced so the rename itself
 * survives a crash. Readers see the old file or the new one, never half of one; a kill -9 between the write
 * and the rename leaves only a temp file, which the next write of the same file removes.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  withTempBeside(file, text, (tmp) => {
    renameSync(tmp, file);
    syncFolder(path.dirname(file));
  });
}

/**
 * Writes `text` to a fresh temp file beside `file` (same folder, so a rename or link stays on one file system),
 * fsynced, and hands it to `publish` (which renames or links it into place); the temp file is removed when
 * `publish` throws or leaves it, and stale temps of `file` from dead writers are cleaned first.
 */
export function withTempBeside<T>(file: string, text: string | Uint8Array, publish: (tmp: string) => T): T {
  mkdirSync(path.dirname(file), { recursive: true });
  removeStaleTemps(file);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  ownTemps.add(tmp);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return publish(tmp);
  } finally {
    rmSync(tmp, { force: true });
    ownTemps.delete(tmp);
  }
}

/** fsync of a folder (makes a rename in it durable); a no-op where folders cannot be opened (Windows). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a folder; its rename is durable on NTFS once the file was flushed
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Copies `from` to `to` as writeFileAtomic writes (temp file beside `to`, fsync, rename). */
export function copyFileAtomic(from: string, to: string): void {
  writeFileAtomic(to, readFileSync(from));
}

export function writeResult(file: string, doc: ResultDocument): void {
  writeFileAtomic(file, JSON.stringify(doc));
}

export function readResult(file: string): ResultDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the result (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseResult(text, file);
}

/** A result document from its JSON text (`source` names it in errors): parsed, checked, refused with a UsageError. */
export function parseResult(text: string, source: string): ResultDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source}: not a NeurFlow result: invalid JSON (${(e as Error).message})`);
  }
  const doc = validateResult(value, source);
  checkReferences(doc, source);
  return doc;
}

/**
 * What the schema cannot see: every reference inside the document points at something that exists (crop ids
 * into the crop table, crop rows' images into the class images, group members into the layer's pairs, circuit
 * layers and groups into the layers). A document that fails here would make the views and the label, regroup
 * and debug code index past their arrays; it is refused naming the first bad field.
 */
export function checkReferences(doc: ResultDocument, source: string): void {
  const fail = (field: string, what: string): never => {
    throw new UsageError(`${source}: not a NeurFlow result: ${field} ${what}`);
  };
  const crops = doc.crops.table.length;
  const images = doc.class.images.length;
  doc.crops.table.forEach((row, i) => {
    if (!Number.isInteger(row[0]) || row[0] < 0 || row[0] >= images) fail(`crops.table[${i}]`, `refers to image ${row[0]}, but the class has ${images}`);
  });
  const cropIds = (ids: readonly number[], field: string) => {
    ids.forEach((id, k) => {
      if (!Number.isInteger(id) || id < 0 || id >= crops) fail(`${field}[${k}]`, `is crop ${id}, but the crop table has ${crops} rows`);
    });
  };
  for (const key of Object.keys(doc.crops.thumbnails ?? {})) {
    if (!/^\d+$/.test(key) || Number(key) >= crops)
      fail(`crops.thumbnails`, `has a thumbnail for crop ${JSON.stringify(key)}, but the crop table has ${crops} rows`);
  }
  const names = new Set<string>();
  doc.layers.forEach((layer, l) => {
    const where = `layers[${l}] (${layer.name})`;
    if (names.has(layer.name)) fail(where, 'repeats a layer name');
    names.add(layer.name);
    const subconcepts = new Map<number, number>();
    let width: number | undefined;
    layer.neurons.forEach((n, j) => {
      for (const [k, sc] of n.subconcepts.entries()) {
        width ??= sc.conceptVector.length;
        if (sc.conceptVector.length !== width)
          fail(`${where}.neurons[${j}].subconcepts[${k}].conceptVector`, `has ${sc.conceptVector.length} values, the layer's other concept vectors ${width}`);
      }
      cropIds(n.topCrops, `${where}.neurons[${j}].topCrops`);
      if (n.coreInputs.length !== n.coreInputsIg.length)
        fail(`${where}.neurons[${j}]`, `has ${n.coreInputs.length} core inputs but ${n.coreInputsIg.length} IG values`);
      n.subconcepts.forEach((sc, k) => {
        cropIds(sc.crops, `${where}.neurons[${j}].subconcepts[${k}].crops`);
        cropIds(sc.representatives, `${where}.neurons[${j}].subconcepts[${k}].representatives`);
        if (sc.weights.length !== n.coreInputs.length)
          fail(`${where}.neurons[${j}].subconcepts[${k}].weights`, `has ${sc.weights.length} values for ${n.coreInputs.length} core inputs`);
      });
      if (subconcepts.has(n.channel)) fail(`${where}.neurons[${j}].channel`, `repeats neuron ${n.channel}`);
      subconcepts.set(n.channel, n.subconcepts.length);
    });
    const grouping = layer.grouping;
    if (!grouping) return;
    const g = `${where}.grouping`;
    if (grouping.count !== grouping.groups.length) fail(`${g}.count`, `is ${grouping.count}, but there are ${grouping.groups.length} groups`);
    // The pairs are the layer's (neuron, sub-concept) pairs in neuron order, then sub-concept order.
    const expected = layer.neurons.flatMap((n) => n.subconcepts.map((_, k) => [n.channel, k] as const));
    if (grouping.pairs.length !== expected.length)
      fail(`${g}.pairs`, `has ${grouping.pairs.length} pairs, the layer's neurons have ${expected.length} sub-concepts`);
    grouping.pairs.forEach(([channel, sub], i) => {
      if (channel !== expected[i][0] || sub !== expected[i][1])
        fail(`${g}.pairs[${i}]`, `is [${channel}, ${sub}], but the layer's pair ${i} is [${expected[i].join(', ')}]`);
    });
    grouping.groups.forEach((group, i) => {
      for (const field of ['members', 'representatives'] as const) {
        group[field].forEach((p, k) => {
          if (p >= grouping.pairs.length) fail(`${g}.groups[${i}].${field}[${k}]`, `is pair ${p}, but the layer has ${grouping.pairs.length} pairs`);
        });
      }
    });
  });
  const groupCount = new Map(doc.layers.map((l) => [l.name, l.grouping?.groups.length]));
  doc.circuit.forEach((c, i) => {
    for (const side of ['upper', 'lower'] as const)
      if (!names.has(c[side])) fail(`circuit[${i}].${side}`, `names layer ${JSON.stringify(c[side])}, which the result does not have`);
    const upper = groupCount.get(c.upper);
    const lower = groupCount.get(c.lower);
    c.edges.forEach((e, k) => {
      if ((upper !== undefined && e.from >= upper) || (lower !== undefined && e.to >= lower)) {
        fail(`circuit[${i}].edges[${k}]`, `joins groups ${e.from} -> ${e.to}, but ${c.upper} has ${upper ?? 'no'} groups and ${c.lower} ${lower ?? 'no'}`);
      }
    });
  });
}

/** A folder of results, one file per key (`<key>.neurflow-result.json`). */
export class ResultStore {
  constructor(readonly dir: string) {}

  pathFor(key: string): string {
    return path.join(this.dir, `${key}.neurflow-result.json`);
  }

  /** The stored complete result for `key`, or undefined (absent, incomplete or unreadable: re-run). */
  load(key: string): ResultDocument | undefined {
    const file = this.pathFor(key);
    if (!existsSync(file)) return undefined;
    try {
      const doc = readResult(file);
      return doc.complete && doc.key === key ? doc : undefined;
    } catch {
      return undefined;
    }
  }

  save(doc: ResultDocument): string {
    const file = this.pathFor(doc.key);
    writeResult(file, doc);
    return file;
  }
}

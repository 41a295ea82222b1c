/**
 * Saving and reusing result documents: atomic writes (temp file + rename), the cache key (model sha256 + dataset
 * fingerprint + parameters) and a folder of results named by key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** Writes `text` to `file` atomically: a temp file beside it, then a rename (readers never see half a file). */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not a NeurFlow result: invalid JSON (${(e as Error).message})`);
  }
  return validateResult(value, file);
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

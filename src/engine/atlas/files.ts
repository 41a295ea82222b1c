/**
 * The files of an atlas folder: one result per class (`<class>.neurflow-result.json`), a marker for a class that
 * failed or had no image (`<class>.neurflow-failed.json`), the shared dataset scan (`atlas.neurflow-scan.json`)
 * and the index (`atlas.json`). Written so that shards in several processes (or machines, on a shared folder)
 * never see half a file: temp file + rename, or for the scan a hard link that only the first writer wins.
 */
import { existsSync, linkSync, readFileSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { withTempBeside, writeFileAtomic } from '../result/store';

export const ATLAS_FILE = 'atlas.json';
export const SCAN_FILE = 'atlas.neurflow-scan.json';
export const RESULT_SUFFIX = '.neurflow-result.json';
export const FAILED_SUFFIX = '.neurflow-failed.json';

/** A JSON file, or undefined when it is absent or not JSON (a file being replaced is read whole: renames are atomic). */
export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Writes `text` to `file` unless some writer got there first: a complete temp file is hard-linked to the name
 * (atomic, and refused when the name exists). Returns whether this call wrote it. Where hard links are not
 * supported it falls back to a rename (last writer wins; the writers publish the same content).
 */
export function publishOnce(file: string, text: string): boolean {
  return withTempBeside(file, text, (tmp) => {
    try {
      linkSync(tmp, file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
        renameSync(tmp, file);
        return true;
      }
      throw e;
    }
  });
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

export const failedFile = (dir: string, stem: string) => path.join(dir, `${stem}${FAILED_SUFFIX}`);

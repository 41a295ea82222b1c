/**
 * Exporting a saved result (and the scan saved beside it) to a file of the user's choice, as every result write
 * is made: a temp file beside the target, fsync, rename (store.ts). An export interrupted at any moment leaves
 * the previous target whole; a result that does not read back is not exported.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { scanFileFor } from '../data/scan-file';
import { copyFileAtomic, readResult } from './store';

/** `*.neurflow-result.json` for a target the user named (a plain `.json` name gets the suffix). */
export function exportTarget(to: string): string {
  return to.endsWith('.neurflow-result.json') ? to : `${to.replace(/\.json$/i, '')}.neurflow-result.json`;
}

/** Copies `source` (a result file) and its scan to `to`; returns the written result file. */
export function exportResultFiles(source: string, to: string): string {
  readResult(source); // refuses a damaged result before anything is written
  const target = exportTarget(to);
  if (path.resolve(target) === path.resolve(source)) return target;
  const scan = scanFileFor(source);
  if (existsSync(scan)) copyFileAtomic(scan, scanFileFor(target));
  copyFileAtomic(source, target);
  return target;
}

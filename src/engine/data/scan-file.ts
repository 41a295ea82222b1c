/**
 * The dataset scan saved beside a result (`x.neurflow-result.json` -> `x.neurflow-scan.json`) for the Mistakes
 * view. Light (no runtime imports): the extension host reads it when it reopens a result.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ScanResult } from './scan';
import type { ResultDocument } from '../result/schema';
import { writeFileAtomic } from '../result/store';

const RESULT_SUFFIX = '.neurflow-result.json';

export function scanFileFor(resultFile: string): string {
  const base = resultFile.endsWith(RESULT_SUFFIX) ? resultFile.slice(0, -RESULT_SUFFIX.length) : resultFile.replace(/\.json$/i, '');
  return `${base}.neurflow-scan.json`;
}

export function writeScan(resultFile: string, scan: ScanResult): void {
  writeFileAtomic(scanFileFor(resultFile), JSON.stringify(scan));
}

/** The scan saved beside a result, when there is one of the result's dataset (same fingerprint). */
export function readScan(resultFile: string, doc: ResultDocument): ScanResult | undefined {
  const file = scanFileFor(resultFile);
  if (!existsSync(file)) return undefined;
  try {
    const scan = JSON.parse(readFileSync(file, 'utf8')) as ScanResult;
    return scan.format === 'neurflow.scan' && scan.dataset?.fingerprint === doc.dataset.fingerprint ? scan : undefined;
  } catch {
    return undefined;
  }
}

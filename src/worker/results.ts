/**
 * Saved results as the worker uses them: the result file (and the full scan saved beside it), and, for the
 * panel's requests on a result (explain an image, mask a group), its document with the model ready to run,
 * kept in memory per file until the file changes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { openResultModel, type ResultModel } from '../engine/analysis/result-model';
import type { ScanResult } from '../engine/data/scan';
import type { ResultDocument } from '../engine/result/schema';
import { readResult, writeFileAtomic } from '../engine/result/store';
import type { ExecutionProvider } from '../protocol/worker';

const RESULT_SUFFIX = '.neurflow-result.json';

/** `x.neurflow-result.json` -> `x.neurflow-scan.json`: the dataset scan that goes with a result. */
export function scanFileFor(resultFile: string): string {
  const base = resultFile.endsWith(RESULT_SUFFIX) ? resultFile.slice(0, -RESULT_SUFFIX.length) : resultFile.replace(/\.json$/i, '');
  return `${base}.neurflow-scan.json`;
}

export function writeScan(resultFile: string, scan: ScanResult): void {
  writeFileAtomic(scanFileFor(resultFile), JSON.stringify(scan));
}

/** The scan saved beside a result, when there is one that fits the result's dataset. */
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

interface Open {
  mtimeMs: number;
  key: string;
  doc: ResultDocument;
  model: Promise<ResultModel>;
}

const open = new Map<string, Open>();

/** The document of a result file and its model, ready to run (cached per file, provider and threads). */
export function openResult(file: string, provider: ExecutionProvider, threads?: number): { doc: ResultDocument; model: Promise<ResultModel> } {
  const mtimeMs = statSync(file).mtimeMs;
  const key = `${provider}:${threads ?? 0}`;
  const hit = open.get(file);
  if (hit && hit.mtimeMs === mtimeMs && hit.key === key) return hit;
  const doc = readResult(file);
  const model = openResultModel(doc, file, { provider, threads });
  model.catch(() => open.delete(file)); // a model that failed to load is tried again next time
  const entry = { mtimeMs, key, doc, model };
  open.set(file, entry);
  while (open.size > 4) open.delete(open.keys().next().value!);
  return entry;
}

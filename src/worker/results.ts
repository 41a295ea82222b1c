/**
 * Saved results as the worker uses them for the panel's requests (explain an image, mask a group): the
 * document with its model ready to run, kept in memory per file until the file changes.
 */
import { PARAMS } from '../engine/params';
import { statSync } from 'node:fs';
import { openResultModel, type ResultModel } from '../engine/analysis/result-model';
import type { ResultDocument } from '../engine/result/schema';
import { readResult } from '../engine/result/store';
import type { ExecutionProvider } from '../protocol/worker';

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
  const key = `${provider}:${threads ?? PARAMS.threads.default}`;
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

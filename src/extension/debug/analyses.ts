/**
 * Finding the saved analyses of a model: result documents (`*.neurflow-result.json`, in the workspace or in the
 * extension's storage) whose `model.sha256` is the model file's. No VS Code here: the caller lists the files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface AnalysisRef {
  file: string;
  classIndex: number;
  className: string;
  layers: string[];
  createdAt: string;
  tau?: number;
  igSteps?: number;
}

export function fileSha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The `candidates` that are complete analyses of the model with this sha256, newest first. Unreadable files are skipped. */
export function analysesOf(sha256: string, candidates: readonly string[]): AnalysisRef[] {
  const out: AnalysisRef[] = [];
  for (const file of candidates) {
    let doc: {
      format?: unknown;
      complete?: unknown;
      createdAt?: unknown;
      model?: { sha256?: unknown };
      class?: { index?: unknown; name?: unknown };
      params?: { tau?: unknown; igSteps?: unknown };
      layers?: { name?: unknown }[];
    };
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
    } catch {
      continue;
    }
    if (doc.format !== 'neurflow.result' || doc.model?.sha256 !== sha256 || typeof doc.class?.index !== 'number') continue;
    out.push({
      file,
      classIndex: doc.class.index,
      className: String(doc.class.name ?? doc.class.index),
      layers: (doc.layers ?? []).map((l) => String(l.name)),
      createdAt: String(doc.createdAt ?? ''),
      ...(typeof doc.params?.tau === 'number' ? { tau: doc.params.tau } : {}),
      ...(typeof doc.params?.igSteps === 'number' ? { igSteps: doc.params.igSteps } : {}),
    });
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** One analysis per class (the newest). */
export function onePerClass(refs: readonly AnalysisRef[]): AnalysisRef[] {
  const seen = new Set<number>();
  return refs.filter((r) => {
    if (seen.has(r.classIndex)) return false;
    seen.add(r.classIndex);
    return true;
  });
}

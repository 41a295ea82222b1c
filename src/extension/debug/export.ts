/**
 * Having the paused debuggee export its model (export-snippet.ts): one DAP `evaluate`, the report read back from the
 * batch's temporary folder, and the outcome sorted into what Explain Batch does next. No VS Code here (the caller
 * passes the evaluate function), so the unit tests drive it with a raw DAP client.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import {
  buildExportSnippet,
  DEFAULT_CLASS_NAMES,
  DEFAULT_MODEL_NAMES,
  EXPORT_REPORT,
  exportAdvice,
  parseExportReport,
  type ExportReport,
  type ModuleCandidate,
} from './export-snippet';
import type { Evaluate } from './transfer';

/** The setting that names an exported file instead (Explain Batch then exports nothing). */
export const EXPORTED_MODEL_SETTING = 'neurflow.explainBatch.model';

export type ExportOutcome =
  /** Exported (or reused): the ONNX file, the live logits on the batch and the report. */
  | { kind: 'exported'; onnx: string; logits: string; report: ExportReport; ms: number }
  /** No PyTorch in the debuggee, or no module with parameters in the frame: Explain Batch needs an ONNX file. */
  | { kind: 'no-torch' | 'none'; report: ExportReport }
  /** Several models in the frame: the user chooses. */
  | { kind: 'several'; candidates: ModuleCandidate[]; report: ExportReport }
  /** PyTorch failed: its own message and what to do. */
  | { kind: 'failed'; message: string; report: ExportReport };

export interface ExportRequest {
  /** The models folder (`<storage>/models`). */
  modelsDir: string;
  /** The batch's temporary folder (the report and the live logits go there and are deleted with it). */
  workDir: string;
  /** The images expression the transfer used. */
  images: string;
  /** The model's expression (remembered or given); absent: search the frame. */
  model?: string;
}

/** The sentence for a failed export: what PyTorch said, about which model, and what to do. */
export function failureMessage(report: ExportReport): string {
  const e = report.error!;
  const what = report.model ? `\`${report.model.expression}\` (${report.model.type})` : 'the model';
  const verb =
    e.stage === 'export'
      ? 'export'
      : e.stage === 'run'
        ? 'run'
        : e.stage === 'hash'
          ? 'read the weights of'
          : e.stage === 'input'
            ? 'prepare the batch for'
            : 'find';
  const torch = report.torch ? `PyTorch ${report.torch}` : 'PyTorch';
  return (
    `${torch} could not ${verb} ${what}: ${e.type}: ${e.message.split('\n').slice(0, 6).join(' ').slice(0, 900)}. ` +
    `What to do: ${exportAdvice(e, EXPORTED_MODEL_SETTING)}. The debugged program keeps running.`
  );
}

/** Runs the export in the paused frame. `where` names the frame in messages. */
export async function exportModel(evaluate: Evaluate, request: ExportRequest, where: string): Promise<ExportOutcome> {
  const snippet = buildExportSnippet({
    modelsDir: request.modelsDir,
    workDir: request.workDir,
    model: request.model ? [request.model] : [],
    preferred: [...DEFAULT_MODEL_NAMES],
    images: request.images,
    classNames: [...DEFAULT_CLASS_NAMES],
  });
  const t0 = performance.now();
  let value: string;
  try {
    value = await evaluate(snippet);
  } catch (e) {
    throw new Error(`the debugger could not run NeurFlow's model export in ${where}: ${(e as Error).message}`);
  }
  const ms = performance.now() - t0;
  const file = path.join(request.workDir, EXPORT_REPORT);
  if (!existsSync(file)) {
    throw new Error(`the debugged program wrote no export report to ${request.workDir}; the debugger answered: ${value.slice(0, 300)}`);
  }
  const report = parseExportReport(readFileSync(file, 'utf8'), file);
  if (report.ok && report.onnx && report.logits) return { kind: 'exported', onnx: report.onnx, logits: report.logits, report, ms };
  if (report.error?.stage === 'torch') return { kind: 'no-torch', report };
  if (!request.model && report.candidates) {
    if (report.candidates.length === 0) return { kind: 'none', report };
    if (report.candidates.length > 1) return { kind: 'several', candidates: report.candidates, report };
  }
  if (!report.error) throw new Error(`${file}: the export report has neither a model nor an error`);
  return { kind: 'failed', message: failureMessage(report), report };
}

/** The candidates as quick pick rows. */
export function candidateLabel(c: ModuleCandidate): { label: string; description: string } {
  return { label: c.expression, description: `${c.type}, ${c.parameters.toLocaleString('en-US')} parameters, ${c.device}` };
}

/** Keeps the `keep` newest exports of the folder (and their files), never those in `protect`. */
export function pruneExports(dir: string, keep: number, protect: readonly string[]): string[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .map((f) => path.join(dir, f))
    .map((f) => ({ f, t: statSync(f).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  const removed: string[] = [];
  for (const { f } of files.slice(keep)) {
    if (protect.includes(f)) continue;
    rmSync(f, { force: true });
    removed.push(f);
  }
  return removed;
}

/**
 * Saved results, host side: the engine's result store lives in `<storage>/results` (the worker writes it: one
 * `<key>.neurflow-result.json` per model + dataset + parameters, the scan beside it), and a short index in the
 * workspace state lists them for **Open Result...** without reading every file. Reading a result back is one
 * JSON parse, no model run: that is what makes reopening instant.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { ScanResult } from '../../engine/data/scan';
import type { ResultDocument } from '../../engine/result/schema';
import { readResult } from '../../engine/result/store';
import { readScan } from '../../engine/data/scan-file';

export interface ResultEntry {
  file: string;
  model: string;
  classIndex: number;
  className: string;
  layers: string[];
  complete: boolean;
  createdAt: string;
  imageCount: number;
  /** What tells two runs apart (issue 18); absent in entries recorded before. */
  tau?: number;
  igSteps?: number;
  dataset?: string;
  groups?: number;
}

const INDEX_KEY = 'neurflow.results';
const MAX_ENTRIES = 100;

export class ResultLibrary {
  constructor(
    /** The store folder (`<storageUri or globalStorageUri>/results`). */
    readonly dir: string,
    private readonly memento: vscode.Memento,
  ) {}

  /** Adds (or moves to the front) a result in the index. */
  async record(file: string, doc: ResultDocument): Promise<void> {
    const entry: ResultEntry = {
      file,
      model: doc.model.path,
      classIndex: doc.class.index,
      className: doc.class.name,
      layers: doc.layers.map((l) => l.name),
      complete: doc.complete,
      createdAt: doc.createdAt,
      imageCount: doc.class.images.length,
      tau: doc.params.tau,
      igSteps: doc.params.igSteps,
      dataset: doc.dataset.root,
      groups: doc.layers.reduce((n, l) => n + (l.grouping?.count ?? 0), 0),
    };
    const rest = this.entries().filter((e) => e.file !== file);
    await this.memento.update(INDEX_KEY, [entry, ...rest].slice(0, MAX_ENTRIES));
  }

  /** Indexed results whose files still exist, newest first. */
  list(): ResultEntry[] {
    return this.entries().filter((e) => existsSync(e.file));
  }

  private entries(): ResultEntry[] {
    const v = this.memento.get<unknown>(INDEX_KEY);
    return Array.isArray(v) ? (v as ResultEntry[]).filter((e) => typeof e?.file === 'string') : [];
  }

  /** A result file and the scan saved beside it (checked, named errors on anything else). */
  read(file: string): { doc: ResultDocument; scan?: ScanResult } {
    const doc = readResult(file);
    return { doc, scan: readScan(file, doc) };
  }
}

/**
 * The dataset root of a result as an existing absolute folder: as recorded when absolute, else relative to the
 * result file's folder or to a workspace folder (a CLI run records the path it was given); undefined if gone.
 */
export function datasetRootOf(doc: ResultDocument, resultFile: string | undefined, workspaceFolders: readonly string[]): string | undefined {
  const root = doc.dataset.root;
  const candidates = path.isAbsolute(root)
    ? [root]
    : [...(resultFile ? [path.dirname(resultFile)] : []), ...workspaceFolders].map((d) => path.resolve(d, root));
  return candidates.find((c) => existsSync(c) && statSync(c).isDirectory());
}

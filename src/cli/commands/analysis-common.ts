/** Helpers shared by the analysis commands (analyse, debug, fidelity, demo): progress lines, numbers, tables. */
import * as path from 'node:path';
import { UsageError } from '../../engine/errors';
import { uninformativeCircuit } from '../../engine/analysis/circuit';
import type { ProgressEvent } from '../../engine/analysis/pipeline';
import type { Preprocessing } from '../../engine/data/preprocess';
import type { ResultDocument } from '../../engine/result/schema';

/** Prints a progress line to stderr when the stage or layer changes, or every ~5 s. */
export function progressPrinter(quiet = false): (e: ProgressEvent) => void {
  let last = '';
  let lastTime = 0;
  return (e) => {
    if (quiet) return;
    const head = `${e.stage}:${e.layer ?? ''}`;
    const now = Date.now();
    if (head === last && now - lastTime < 5000) return;
    last = head;
    lastTime = now;
    console.error(`  ${e.message}${e.total > 0 && e.stage !== 'neurons' ? ` (${e.done}/${e.total})` : ''}`);
  };
}

export function table(rows: string[][], right: Set<number> = new Set()): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The preprocessing stored in a result (the one the analysis used). */
export function resultPreprocessing(doc: ResultDocument, file: string): Preprocessing {
  const p = doc.model.preprocessing as Partial<Preprocessing> | undefined;
  if (!p || !Array.isArray(p.size) || !p.channels) throw new UsageError(`${file}: the result does not record its preprocessing`);
  return p as Preprocessing;
}

/** Absolute paths of the class images of a result. */
export function resultImageFiles(doc: ResultDocument): string[] {
  return doc.class.images.map((p) => (path.isAbsolute(p) ? p : path.join(doc.dataset.root, p)));
}

/** A short text summary of a result: layers, core neurons, groups, strongest circuit edges. */
export function summariseResult(doc: ResultDocument): string {
  const lines = [
    `class ${doc.class.name} (${doc.class.index}), ${doc.class.images.length} images ${doc.class.selection} as the class; ${doc.crops.table.length} crops referenced${doc.complete ? '' : '; INCOMPLETE (cancelled)'}`,
  ];
  const rows = [
    ['layer', 'core neurons', 'sub-concepts', 'groups'],
    ...doc.layers.map((l) => [
      l.name,
      String(l.neurons.length),
      String(l.neurons.reduce((s, n) => s + n.subconcepts.length, 0)),
      l.grouping ? `${l.grouping.count}${l.grouping.auto ? ' (silhouette)' : ''}` : '-',
    ]),
  ];
  lines.push(table(rows, new Set([1, 2])));
  for (const c of doc.circuit) {
    const top = c.edges
      .slice(0, 3)
      .map((e) => `G${e.from}->G${e.to} ${e.weight.toFixed(3)}`)
      .join(', ');
    lines.push(`circuit ${c.upper} -> ${c.lower}: ${top}`);
    const why = uninformativeCircuit(c, doc.layers.find((l) => l.name === c.lower) ?? {});
    if (why) lines.push(`  note: ${why}`);
  }
  const a = doc.approximations;
  lines.push(
    a
      ? `fast analysis: IG with ${a.igLadder.map((n, i) => `${n} node${n > 1 ? 's' : ''} (kept on ${a.keptAt[i]})`).join(', then ')}, the full ${doc.params.igSteps} on ${a.refined} of ${a.neurons} core neurons; largest completeness error kept ${(100 * a.maxRelativeCompletenessError).toFixed(1)}% (tolerance ${100 * a.tolerance}%); --exact for the paper's settings`
      : `exact analysis (IG with ${doc.params.igSteps} nodes on every core neuron)`,
  );
  return lines.join('\n');
}

/** `neurflow diff A B`: the neuron groups and circuit edges of two results of the same class, matched and compared. */
import type { CliCommand } from '../command';
import { parseCommandArgs, positiveNumber } from '../args';
import { UsageError } from '../../engine/errors';
import { diffResults, type ResultDiff } from '../../engine/diff/diff';
import { readResult } from '../../engine/result/store';
import { table } from './analysis-common';

const USAGE = `usage: neurflow diff A.neurflow-result.json B.neurflow-result.json [--json] [--min-similarity S] [--top N]

Compares two results of the same class (e.g. a model before and after fine-tuning). Per layer, the neuron
groups are matched one to one (Hungarian) on the Jaccard similarity of their member neurons (when both results
have the layer with the same channel count; else of the crops that activate them); groups only in A are gone,
groups only in B new. A matched group is weakened when its share of the circuit weight into its layer falls
below half of A's. Then the circuit edges, A's weight and B's, largest changes first.

  --min-similarity S   smallest similarity of a match (default 0.2)
  --top N              edges listed (default 15; --json lists all)
  --json               print the diff as JSON: {"layers": [{"layer", "matched": [{"a", "b", "similarity"}],
                       "onlyInA", "onlyInB"}], "edges": [{"layer", "upperA", "lowerA", "upperB", "lowerB",
                       "weightA", "weightB"}], "goneOrWeakened", ...}`;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const g = (i: number | null) => (i === null ? '-' : `G${i}`);

/** The diff as text: per layer the matched groups and the others, then the edges that changed most. */
export function formatDiff(d: ResultDiff, top = 15): string {
  const lines = [`diff of class ${d.class}: A = ${d.a}, B = ${d.b}`];
  for (const l of d.layers) {
    lines.push('', `layer ${l.layer} (groups matched by ${l.by === 'neurons' ? 'member neurons' : 'activating crops'})`);
    const rows = [
      ['A', 'B', 'similarity', 'share A', 'share B', ''],
      ...l.matched.map((m) => [g(m.a), g(m.b), m.similarity.toFixed(3), pct(m.shareA), pct(m.shareB), m.weakened ? 'WEAKENED' : '']),
      ...l.onlyInA.map((o) => [g(o.group), '-', '-', pct(o.share), '-', `GONE (only in A; neurons ${o.neurons.join(',')})`]),
      ...l.onlyInB.map((o) => [`-`, g(o.group), '-', '-', pct(o.share), `new (only in B; neurons ${o.neurons.join(',')})`]),
    ];
    lines.push(
      ...table(rows, new Set([2, 3, 4]))
        .split('\n')
        .map((s) => `  ${s}`),
    );
  }
  if (d.layersOnlyInA.length > 0) lines.push('', `layers only in A: ${d.layersOnlyInA.join(', ')}`);
  if (d.layersOnlyInB.length > 0) lines.push('', `layers only in B: ${d.layersOnlyInB.join(', ')}`);
  const edges = [...d.edges].sort((x, y) => Math.abs(y.weightB - y.weightA) - Math.abs(x.weightB - x.weightA)).slice(0, top);
  if (edges.length > 0) {
    lines.push('', `circuit edges, largest changes first (${edges.length} of ${d.edges.length})`);
    const rows = [
      ['edge', 'A', 'B', 'weight A', 'weight B', ''],
      ...edges.map((e) => [
        `${e.layer} -> ${e.lowerLayer}`,
        `${g(e.upperA)}->${g(e.lowerA)}`,
        `${g(e.upperB)}->${g(e.lowerB)}`,
        e.weightA.toFixed(3),
        e.weightB.toFixed(3),
        e.weightA > 0 && e.weightB < 0.5 * e.weightA ? (e.upperB === null || e.lowerB === null ? 'GONE' : 'WEAKENED') : e.weightA === 0 ? 'new' : '',
      ]),
    ];
    lines.push(
      ...table(rows, new Set([3, 4]))
        .split('\n')
        .map((s) => `  ${s}`),
    );
  }
  lines.push('');
  lines.push(
    d.goneOrWeakened.length === 0
      ? 'no group of A is gone or weakened in B'
      : `gone or weakened in B: ${d.goneOrWeakened.map((x) => `${x.layer} G${x.group} ${x.status} (share ${pct(x.shareA)} -> ${pct(x.shareB)})`).join('; ')}`,
  );
  return lines.join('\n');
}

export const diffCommand: CliCommand = {
  name: 'diff',
  summary: 'compare two results of a class: groups matched, gone or weakened, edge weights before and after',
  usage: USAGE,
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: 'boolean' }, 'min-similarity': { type: 'string' }, top: { type: 'string' } }, USAGE);
    const v = parsed.values;
    if (parsed.positionals.length !== 2) throw new UsageError(`expected two result files A and B, got ${parsed.positionals.length}\n${USAGE}`);
    const [fa, fb] = parsed.positionals;
    const minSimilarity = positiveNumber(v['min-similarity'], 'min-similarity', USAGE);
    if (minSimilarity !== undefined && minSimilarity > 1) throw new UsageError(`--min-similarity must be at most 1, got ${minSimilarity}`);
    const d = diffResults(readResult(fa), readResult(fb), { names: [fa, fb], minSimilarity });
    const top = v.top === undefined ? 15 : Number(v.top);
    if (!Number.isInteger(top) || top < 0) throw new UsageError(`--top must be a whole number, got '${v.top}'`);
    console.log(v.json ? JSON.stringify(d) : formatDiff(d, top));
    return 0;
  },
};

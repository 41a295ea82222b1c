/**
 * Hints in the Analyse Model picks (issue 18, item 8): which class is worth explaining, and what a layer costs.
 * No vscode here, so the unit tests can check them.
 */
import type { ScanSummary } from '../../protocol/analysis';
import type { LayerSummary } from '../../protocol/summary';

/**
 * Which class is worth explaining (issue 18): its errors (labelled as it but predicted otherwise, and the other way
 * round) and the class it is most confused with, from the scan's confusion matrix (rows: label, columns: prediction).
 */
export function classHint(scan: Pick<ScanSummary, 'classes' | 'predicted' | 'labelled'> & { confusion?: number[][] }, i: number): string | undefined {
  const m = scan.confusion;
  if (!m?.[i]) return undefined;
  const missed = m[i].reduce((s, n, j) => (j === i ? s : s + n), 0);
  const wrong = m.reduce((s, row, j) => (j === i ? s : s + (row[i] ?? 0)), 0);
  let worst = -1;
  let worstN = 0;
  m.forEach((row, j) => {
    if (j === i) return;
    const n = (row[i] ?? 0) + (m[i][j] ?? 0);
    if (n > worstN) [worst, worstN] = [j, n];
  });
  if (missed + wrong === 0) return '$(check) no errors: every image of it is right';
  // Short, most telling first: a quick pick cuts its detail line at about 80 characters.
  return `$(warning) ${missed + wrong} errors${worst >= 0 ? `, most with ${scan.classes[worst]} (${worstN})` : ''}: ${missed} missed, ${wrong} others called it`;
}

/**
 * A cost hint for a layer (issue 18): its channels and map size; the analysis time grows with both (each core
 * neuron's attributions run over the layer's maps). That the lowest chosen layer gets no groups is said once, in
 * the pick's placeholder.
 */
export function layerCost(l: LayerSummary): string {
  const dims = l.shape.filter((d): d is number => typeof d === 'number');
  const [c, hh, ww] = dims.slice(-3);
  const cells = (hh ?? 1) * (ww ?? 1);
  const cost = (c ?? 1) * cells;
  const level = cost > 200_000 ? 'slow' : cost > 40_000 ? 'moderate' : 'quick';
  return `${c ?? '?'} channels${hh ? ` of ${hh}x${ww}` : ''}: ${level} to analyse`;
}

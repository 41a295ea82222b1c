/**
 * The assignment problem (Hungarian algorithm, Kuhn-Munkres with potentials, O(n^2 m)): the one-to-one matching of
 * rows to columns with the largest total score. Rectangular matrices are fine; every row or every column (the
 * smaller side) is matched.
 */

/** For a score matrix `score[row][col]`, the column matched to each row (-1: none), maximising the total. */
export function maxAssignment(score: readonly (readonly number[])[]): number[] {
  const rows = score.length;
  const cols = rows === 0 ? 0 : score[0].length;
  if (rows === 0 || cols === 0) return new Array<number>(rows).fill(-1);
  if (rows > cols) {
    // Solve the transpose (the algorithm below needs rows <= cols), then invert.
    const t = Array.from({ length: cols }, (_, c) => score.map((r) => r[c]));
    const byCol = maxAssignment(t);
    const out = new Array<number>(rows).fill(-1);
    byCol.forEach((r, c) => {
      if (r >= 0) out[r] = c;
    });
    return out;
  }
  // Minimise cost = -score; 1-based arrays as in the textbook formulation.
  const n = rows,
    m = cols;
  const u = new Float64Array(n + 1),
    v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1),
    way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Number.POSITIVE_INFINITY,
        j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = -score[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const out = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j] > 0) out[p[j] - 1] = j - 1;
  return out;
}

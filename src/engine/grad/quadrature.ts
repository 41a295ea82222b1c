/**
 * Integration points for Integrated Gradients, as captum builds them (`captum/attr/_utils/approximation_methods`):
 * Gauss-Legendre nodes/weights mapped from [-1, 1] to [0, 1], or Riemann sums whose alphas come from
 * torch.linspace (float32) and whose trapezoid weights are 1/n with both ends halved (they sum to (n-1)/n).
 */
import { UsageError } from '../errors';

export const IG_METHODS = ['gausslegendre', 'riemann_trapezoid', 'riemann_left', 'riemann_right', 'riemann_middle'] as const;
export type IgMethod = (typeof IG_METHODS)[number];

export interface Quadrature {
  /** Scale of the input at each step, in [0, 1]. */
  alphas: number[];
  /** Weight of each step's gradient. */
  weights: number[];
}

/** Gauss-Legendre nodes and weights on [-1, 1] (ascending nodes), by Newton's method on P_n. */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`Gauss-Legendre needs a positive whole number of steps, got ${n}`);
  if (n === 1) return { nodes: [0], weights: [2] };
  const nodes = new Array<number>(n);
  const weights = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // Recurrence: (k+1) P_{k+1} = (2k+1) x P_k - k P_{k-1}
      let p0 = 1;
      let p1 = x;
      for (let k = 1; k < n; k++) [p0, p1] = [p1, ((2 * k + 1) * x * p1 - k * p0) / (k + 1)];
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  return { nodes, weights };
}

/** torch.linspace(start, end, steps) in float32, as its CPU kernel computes it (both halves from their end). */
export function linspaceF32(start: number, end: number, steps: number): number[] {
  const f = Math.fround;
  const s = f(start);
  const e = f(end);
  const step = f(f(e - s) / f(steps - 1));
  const half = Math.floor(steps / 2);
  return Array.from({ length: steps }, (_, i) => (i < half ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)))));
}

export function quadrature(method: IgMethod, n: number): Quadrature {
  if (method === 'gausslegendre') {
    const { nodes, weights } = gaussLegendre(n);
    return { alphas: nodes.map((x) => 0.5 * (1 + x)), weights: weights.map((w) => 0.5 * w) };
  }
  if (!IG_METHODS.includes(method)) throw new UsageError(`unknown IG method '${method}' (use ${IG_METHODS.join(', ')})`);
  if (!Number.isInteger(n) || n < 2) throw new UsageError(`${method} needs at least 2 steps, got ${n}`);
  const weights = new Array<number>(n).fill(1 / n);
  let alphas: number[];
  if (method === 'riemann_trapezoid') {
    weights[0] /= 2;
    weights[n - 1] /= 2;
    alphas = linspaceF32(0, 1, n);
  } else if (method === 'riemann_left') {
    alphas = linspaceF32(0, 1 - 1 / n, n);
  } else if (method === 'riemann_middle') {
    alphas = linspaceF32(1 / (2 * n), 1 - 1 / (2 * n), n);
  } else {
    alphas = linspaceF32(1 / n, 1, n);
  }
  return { alphas, weights };
}

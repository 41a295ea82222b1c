/**
 * Shared by LayerNormalization, InstanceNormalization and GroupNormalization (not a rule). Over `axes`
 * (n elements): mu = mean(x), v = mean((x - mu)^2), r = (v + eps)^-1/2, xhat = (x - mu) * r. With gxhat the
 * cotangent of xhat, dx = r * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)), means over `axes`.
 */
import type { GraphEmitter } from '../emitter';

export interface Normalized {
  /** (v + eps)^-1/2, reduced axes kept with length 1. */
  r: string;
  xhat: string;
}

/** Recomputes r and xhat of `x` over `axes` (sorted, non-negative). */
export function normalize(em: GraphEmitter, x: string, axes: number[], eps: number): Normalized {
  const mean = (t: string) => em.reduce('ReduceMean', t, axes, true);
  const d = em.op('Sub', [x, mean(x)]);
  const r = em.op('Reciprocal', [em.op('Sqrt', [em.op('Add', [mean(em.op('Mul', [d, d])), em.scalar(eps)])])]);
  return { r, xhat: em.op('Mul', [d, r]) };
}

/** dx from the cotangent of xhat (same shape as x). */
export function normalizeGrad(em: GraphEmitter, n: Normalized, gxhat: string, axes: number[]): string {
  const mean = (t: string) => em.reduce('ReduceMean', t, axes, true);
  const centred = em.op('Sub', [gxhat, mean(gxhat)]);
  const along = em.op('Mul', [n.xhat, mean(em.op('Mul', [gxhat, n.xhat]))]);
  return em.op('Mul', [n.r, em.op('Sub', [centred, along])]);
}

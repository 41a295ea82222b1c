/**
 * Backward of per-axis index maps, shared by Slice, Pad and Gather (not a rule). A forward op that picks,
 * along one axis, input element src[o] for output position o has the backward dx[i] = sum_{o: src[o] = i} dy[o].
 */
import type { GraphEmitter } from '../emitter';

/** Scatter-add along `axis` through a matrix P[o, i] = 1 when src[o] = i (-1: the output reads a constant). */
export function scatterAlongAxis(em: GraphEmitter, g: string, rank: number, axis: number, src: number[], inLen: number): string {
  const p = new Array<number>(src.length * inLen).fill(0);
  src.forEach((i, o) => {
    if (i >= 0) p[o * inLen + i] += 1;
  });
  const matrix = em.floats(p, [src.length, inLen]);
  if (axis === rank - 1) return em.op('MatMul', [g, matrix]);
  const perm = Array.from({ length: rank }, (_, i) => i)
    .filter((i) => i !== axis)
    .concat(axis);
  const inverse = new Array<number>(rank);
  perm.forEach((v, i) => {
    inverse[v] = i;
  });
  const moved = em.op('MatMul', [em.op('Transpose', [g], { perm }), matrix]);
  return em.op('Transpose', [moved], { perm: inverse });
}

/**
 * Backward of a pure selection along `axis` (each input element read at most once): gathers dy back with a
 * padded zero slot for the elements nothing read. Cheaper than the matrix form.
 */
export function unselectAlongAxis(em: GraphEmitter, g: string, rank: number, axis: number, src: number[], inLen: number): string {
  const where = new Array<number>(inLen).fill(src.length);
  src.forEach((i, o) => {
    where[i] = o;
  });
  const pads = new Array<number>(2 * rank).fill(0);
  pads[rank + axis] = 1;
  const padded = em.op('Pad', [g, em.ints(pads)]);
  return em.op('Gather', [padded, em.ints(where)], { axis });
}

import type { GradRule } from '../types';
import { reduceGrad } from './reduce';

/** y = sum of x over axes: dx = dy broadcast back over the reduced axes. */
export const ReduceSum: GradRule = { opType: 'ReduceSum', grad: (ctx) => reduceGrad(ctx, false) };

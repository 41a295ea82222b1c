import type { GradRule } from '../types';
import { reduceGrad } from './reduce';

/** y = mean of x over axes: dx = dy / n broadcast back over the reduced axes. */
export const ReduceMean: GradRule = { opType: 'ReduceMean', grad: (ctx) => reduceGrad(ctx, true) };

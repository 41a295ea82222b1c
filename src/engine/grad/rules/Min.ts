import type { GradRule } from '../types';
import { extremumGrad } from './MaxMin';

/** y = min(x0, x1, ...) (broadcasting): dx_i = dy where x_i == y, ties split evenly (torch.minimum: dy/2 each). */
export const Min: GradRule = { opType: 'Min', grad: extremumGrad };

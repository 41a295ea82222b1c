import type { GradRule } from '../types';
import { extremumGrad } from './MaxMin';

/** y = max(x0, x1, ...) (broadcasting): dx_i = dy where x_i == y, ties split evenly (torch.maximum: dy/2 each). */
export const Max: GradRule = { opType: 'Max', grad: extremumGrad };

/**
 * The backward rules by ONNX op type: one explicit table (no registration side effects). Adding an operator:
 * write `rules/<OpType>.ts` exporting one `GradRule`, add it to RULE_LIST, add its finite-difference test.
 */
import { GradientError } from '../errors';
import type { GradRule } from './types';
import { Add } from './rules/Add';
import { AveragePool } from './rules/AveragePool';
import { BatchNormalization } from './rules/BatchNormalization';
import { Cast } from './rules/Cast';
import { Clip } from './rules/Clip';
import { Concat } from './rules/Concat';
import { Conv } from './rules/Conv';
import { ConvTranspose } from './rules/ConvTranspose';
import { Div } from './rules/Div';
import { Dropout } from './rules/Dropout';
import { Einsum } from './rules/Einsum';
import { Erf } from './rules/Erf';
import { Exp } from './rules/Exp';
import { Expand } from './rules/Expand';
import { Flatten } from './rules/Flatten';
import { Gather } from './rules/Gather';
import { Gelu } from './rules/Gelu';
import { Gemm } from './rules/Gemm';
import { GlobalAveragePool } from './rules/GlobalAveragePool';
import { GroupNormalization } from './rules/GroupNormalization';
import { HardSigmoid } from './rules/HardSigmoid';
import { HardSwish } from './rules/HardSwish';
import { Identity } from './rules/Identity';
import { InstanceNormalization } from './rules/InstanceNormalization';
import { LayerNormalization } from './rules/LayerNormalization';
import { LeakyRelu } from './rules/LeakyRelu';
import { LogSoftmax } from './rules/LogSoftmax';
import { LRN } from './rules/LRN';
import { MatMul } from './rules/MatMul';
import { Max } from './rules/Max';
import { MaxPool } from './rules/MaxPool';
import { Min } from './rules/Min';
import { Mul } from './rules/Mul';
import { Neg } from './rules/Neg';
import { Pad } from './rules/Pad';
import { Pow } from './rules/Pow';
import { Reciprocal } from './rules/Reciprocal';
import { ReduceMax } from './rules/ReduceMax';
import { ReduceMean } from './rules/ReduceMean';
import { ReduceSum } from './rules/ReduceSum';
import { Relu } from './rules/Relu';
import { Reshape } from './rules/Reshape';
import { Resize } from './rules/Resize';
import { Sigmoid } from './rules/Sigmoid';
import { Slice } from './rules/Slice';
import { Softmax } from './rules/Softmax';
import { Split } from './rules/Split';
import { Sqrt } from './rules/Sqrt';
import { Squeeze } from './rules/Squeeze';
import { Sub } from './rules/Sub';
import { Sum } from './rules/Sum';
import { Tanh } from './rules/Tanh';
import { Transpose } from './rules/Transpose';
import { Unsqueeze } from './rules/Unsqueeze';
import { Where } from './rules/Where';

export const RULE_LIST: readonly GradRule[] = [
  Add,
  AveragePool,
  BatchNormalization,
  Cast,
  Clip,
  Concat,
  Conv,
  ConvTranspose,
  Div,
  Dropout,
  Einsum,
  Erf,
  Exp,
  Expand,
  Flatten,
  Gather,
  Gelu,
  Gemm,
  GlobalAveragePool,
  GroupNormalization,
  HardSigmoid,
  HardSwish,
  Identity,
  InstanceNormalization,
  LayerNormalization,
  LeakyRelu,
  LogSoftmax,
  LRN,
  MatMul,
  Max,
  MaxPool,
  Min,
  Mul,
  Neg,
  Pad,
  Pow,
  Reciprocal,
  ReduceMax,
  ReduceMean,
  ReduceSum,
  Relu,
  Reshape,
  Resize,
  Sigmoid,
  Slice,
  Softmax,
  Split,
  Sqrt,
  Squeeze,
  Sub,
  Sum,
  Tanh,
  Transpose,
  Unsqueeze,
  Where,
];

/** Builds the op-type table; a second rule for the same op type is a programming error. */
export function makeRegistry(rules: readonly GradRule[]): ReadonlyMap<string, GradRule> {
  const table = new Map<string, GradRule>();
  for (const rule of rules) {
    if (table.has(rule.opType)) throw new GradientError(`two backward rules registered for operator ${rule.opType}`);
    table.set(rule.opType, rule);
  }
  return table;
}

export const RULES: ReadonlyMap<string, GradRule> = makeRegistry(RULE_LIST);

/**
 * Operators that produce no cotangent-carrying output (shape arithmetic, comparisons, integer results,
 * piecewise-constant functions): nodes of these types end the dependence on the activation.
 */
export const NON_DIFFERENTIABLE: ReadonlySet<string> = new Set([
  'Shape',
  'Size',
  'Constant',
  'ConstantOfShape',
  'Range',
  'EyeLike',
  'NonZero',
  'OneHot',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'ArgMax',
  'ArgMin',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
]);

/** Outputs (by index) of differentiable operators that are integer or mask results (no cotangent). */
export const NON_DIFFERENTIABLE_OUTPUTS: ReadonlyMap<string, readonly number[]> = new Map([
  ['MaxPool', [1]],
  ['Dropout', [1]],
  ['BatchNormalization', [1, 2, 3, 4]],
  ['TopK', [1]],
]);

/** Operator kinds that layer detection (layers.ts) and layout propagation (layout.ts) both need. */

/** Unary activations: element-wise, shape- and layout-preserving. */
export const ACTIVATION_OPS: readonly string[] = [
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Clip',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Elu',
  'Selu',
  'Celu',
  'Softplus',
  'Softsign',
  'Mish',
  'Gelu',
  'Erf',
  'ThresholdedRelu',
];

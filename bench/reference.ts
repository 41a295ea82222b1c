/**
 * The reference models of ../shared by short name (shortcut-resnet, shortcut-mobilenet, fmnist-cnn, ...) with the
 * dataset each was made for and a class of it, for the benches; a path ending in .onnx is taken as it is.
 */
import * as path from 'node:path';

export interface ReferenceCase {
  model: string;
  data: string;
  /** A class the dataset has: fmnist-test's 0, the shortcut test's triangle. */
  defaultClass: string;
}

export function referenceCase(shared: string, name: string): ReferenceCase {
  const fmnist = name.includes('fmnist');
  return {
    model: name.endsWith('.onnx') ? name : path.join(shared, 'reference/models', `${name}.onnx`),
    data: fmnist ? path.join(shared, 'reference/fmnist-test') : path.join(shared, 'datasets/shortcut/test'),
    defaultClass: fmnist ? '0' : 'triangle',
  };
}

/** A class argument: a whole number is a class index, anything else a class name. */
export const classArg = (value: string): number | string => (/^\d+$/.test(value) ? Number(value) : value);

/** The reference models with the preprocessed inputs that go with them (first 8 images of a split). */
import type { TestContext } from 'node:test';
import { readNpy } from '../../../src/engine/io/npy';
import { loadModel, type LoadedModel } from '../../../src/engine/onnx/model';
import { sharedPath } from '../../helpers/shared';

export const REFERENCE_MODELS: { file: string; inputs: string }[] = [
  { file: 'shortcut-resnet.onnx', inputs: 'shortcut-test__first8.npy' },
  { file: 'shortcut-resnet-external.onnx', inputs: 'shortcut-test__first8.npy' },
  { file: 'shortcut-resnet-opset9-constants.onnx', inputs: 'shortcut-test__first8.npy' },
  { file: 'shortcut-mobilenet.onnx', inputs: 'shortcut-test__first8.npy' },
  { file: 'fmnist-cnn.onnx', inputs: 'fmnist-test__first8.npy' },
];

/** The model and its 8 inputs, or undefined (test skipped) when the reference data is absent. */
export async function referenceModel(
  t: TestContext,
  file: string,
  inputs: string,
): Promise<{ model: LoadedModel; x: { data: Float32Array; dims: number[] } } | undefined> {
  const modelPath = sharedPath(t, `reference/models/${file}`);
  const inputPath = sharedPath(t, `reference/predictions/${inputs}`);
  if (!modelPath || !inputPath) return undefined;
  const npy = readNpy(inputPath);
  return { model: await loadModel(modelPath), x: { data: npy.data as Float32Array, dims: npy.shape } };
}

/**
 * Inferred tensor shapes and element types per model (keyed by the model's sha256), filled by inferShapes and
 * read by sub-model extraction to type its inputs and outputs.
 */
export interface ShapeInfo {
  /** Dims of every non-constant tensor, batch dim included (1 in the probe run). */
  shapes: Map<string, number[]>;
  /** ONNX element types of the tensors whose type the probe could tell apart. */
  types: Map<string, number>;
}

const cache = new Map<string, ShapeInfo>();

export function cachedShapeInfo(sha256: string): ShapeInfo | undefined {
  return cache.get(sha256);
}

export function storeShapeInfo(sha256: string, info: ShapeInfo): void {
  cache.set(sha256, info);
}

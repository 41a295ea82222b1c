/**
 * Named errors of the engine. Each message names its subject (file, node, operator, field); they are caught
 * only at the edges: the extension shows them, the CLI prints them and exits non-zero.
 */
export class NeurflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The file is not a readable ONNX model (not protobuf, truncated, missing external data). */
export class OnnxFormatError extends NeurflowError {}

/** The model is valid ONNX but not something the engine can analyse (input not an image, unknown layer). */
export class ModelError extends NeurflowError {}

/** onnxruntime refused or failed to run a model; the message names the node and operator where known. */
export class RuntimeError extends NeurflowError {}

/** A backward rule is missing or cannot handle a node. */
export class GradientError extends NeurflowError {}

/** Bad dataset, image or preprocessing input. */
export class DataError extends NeurflowError {}

/** Bad parameters or a result document that cannot be read. */
export class UsageError extends NeurflowError {}

/**
 * What the analysis needs from the model runtime, as one small interface: channel means of several layers in
 * one pass, full activations of one layer, Integrated Gradients between adjacent layers, and logits after
 * zeroing channels of a layer. `ort-backend.ts` implements it on the ONNX engine and the gradient builder;
 * tests can implement it on tiny hand-built models.
 */

export interface Tensor32 {
  data: Float32Array;
  /** Dimensions including the batch. */
  dims: number[];
}

/** Per-call IG settings of the analysis (see AnalysisBackend.integratedGradients). */
export interface IgCallOptions {
  steps?: number;
  values?: ArrayLike<number>;
}

/** IG per lower channel, with the completeness error of the quadrature when the backend measures it. */
export interface IgTensor extends Tensor32 {
  relativeCompletenessError?: number;
}

export interface AnalysisBackend {
  /** Per requested tensor, the channel means [n, C] (rank 2 tensors as they are) of a batch of model inputs. */
  channelMeans(inputs: Tensor32, tensors: readonly string[], signal?: AbortSignal): Promise<Tensor32[]>;
  /** The full activation of `tensor` for a batch of model inputs. */
  activation(inputs: Tensor32, tensor: string, signal?: AbortSignal): Promise<Tensor32>;
  /**
   * IG (zero baseline) of F_target(upper) w.r.t. the activation `a` of `lower`, per lower channel SUMMED over
   * positions: [n, C_lower]. F_target is the spatial mean of the upper channel (rank 3/4) or upper[:, target].
   * `options.steps` overrides the backend's quadrature steps (the coarse first pass of the fast analysis);
   * `options.values` gives F_target(a) per sample when the caller has it (the analysis's channel means), sparing
   * the backend those rows. A backend that can tells how far the result is from completeness
   * (`relativeCompletenessError`: sum over the samples of |sum_c IG_c - (F(a) - F(0))| over the sum of |F(a) - F(0)|).
   */
  integratedGradients(lower: string, upper: string, a: Tensor32, target: number, signal?: AbortSignal, options?: IgCallOptions): Promise<IgTensor>;
  /** Logits after setting `channels` of the activation of `tensor` to zero (none: the plain logits). */
  maskedLogits(inputs: Tensor32, tensor: string, channels: readonly number[], signal?: AbortSignal): Promise<Tensor32>;
  /** The analysis is done with IG between `lower` and `upper`: a backend may free what it holds for them. */
  releaseGradients?(lower: string, upper: string): Promise<void>;
  /** The execution provider in use, for the result document. */
  readonly provider: string;
  readonly threads: number;
}

/** Number of spatial positions of a tensor with batch dims [N, C, ...spatial] (1 for rank 2). */
export function spatialSize(dims: readonly number[]): number {
  return dims.slice(2).reduce((a, b) => a * b, 1);
}

/** Rows of an [n, C] tensor as views. */
export function rowsOf(t: Tensor32): Float32Array[] {
  const [n, c] = t.dims;
  return Array.from({ length: n }, (_, i) => t.data.subarray(i * c, (i + 1) * c));
}

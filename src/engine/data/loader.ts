/**
 * Streaming images into model-ready batches: decoding runs in parallel on libuv's threads (bounded by
 * `concurrency`), up to `prefetch` images ahead of the consumer, so the next batch decodes while the model runs
 * the current one. Images that cannot be read or decoded are reported through `onSkip` and left out; the
 * batches keep dataset order.
 */
import { availableParallelism } from 'node:os';
import { DataError } from '../errors';
import { decodeImageFile, type DecodedImage } from './image';
import { preprocessInto, type Preprocessing } from './preprocess';

export interface Batch {
  /** Indices (into the list given to `loadBatches`) of the images in this batch, in order. */
  indices: number[];
  /** [n, C, H, W] float32. */
  data: Float32Array;
  dims: [number, number, number, number];
}

/** What decoding had to convert, counted over the images loaded. */
export interface DecodeStats {
  /** Grey images given to a 3-channel model (channel replicated). */
  greyToRgb: number;
  /** Colour images given to a 1-channel model (Pillow's luma). */
  colourToGrey: number;
  /** Images with an alpha channel (dropped). */
  alphaDropped: number;
  /** 16-bit images (scaled to 0..255). */
  sixteenBit: number;
  /** Images turned upright by their EXIF orientation. */
  exifRotated: number;
}

export function emptyDecodeStats(): DecodeStats {
  return { greyToRgb: 0, colourToGrey: 0, alphaDropped: 0, sixteenBit: 0, exifRotated: 0 };
}

export interface LoadOptions {
  batchSize?: number;
  /** Images decoded at once (default: the number of CPUs, at least 2). */
  concurrency?: number;
  /** Images decoded ahead of the consumer (default: batch size + concurrency). */
  prefetch?: number;
  signal?: AbortSignal;
  /** Called for each image left out, with the reason. */
  onSkip?: (index: number, reason: string) => void;
  /** Filled with conversion counts. */
  stats?: DecodeStats;
}

export function defaultConcurrency(): number {
  return Math.max(2, availableParallelism());
}

type Outcome = { ok: true; tensor: Float32Array } | { ok: false; reason: string };

/** A counting semaphore: at most `n` tasks run at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function count(stats: DecodeStats | undefined, img: DecodedImage, channels: number): void {
  if (!stats) return;
  const colour = img.sourceChannels >= 3 ? 3 : 1;
  if (colour === 1 && channels === 3) stats.greyToRgb++;
  if (colour === 3 && channels === 1) stats.colourToGrey++;
  if (img.sourceChannels === 2 || img.sourceChannels === 4) stats.alphaDropped++;
  if (img.bitDepth === 16) stats.sixteenBit++;
  if (img.orientation > 1) stats.exifRotated++;
}

/** Decodes and preprocesses one image file into a [C, H, W] tensor. */
export async function loadImageTensor(file: string, p: Preprocessing, stats?: DecodeStats): Promise<Float32Array> {
  const img = await decodeImageFile(file, p.channels);
  count(stats, img, p.channels);
  const out = new Float32Array(p.channels * p.size[0] * p.size[1]);
  preprocessInto(img, p, out, 0);
  return out;
}

/**
 * Decodes and preprocesses many files into [C, H, W] tensors, in order, at most `concurrency` at once (unlike
 * `Promise.all(files.map(loadImageTensor))`, which starts every decode at once). Failures reject with the
 * DataError naming the file.
 */
export async function loadImageTensors(
  files: readonly string[],
  p: Preprocessing,
  options: { concurrency?: number; stats?: DecodeStats; signal?: AbortSignal } = {},
): Promise<Float32Array[]> {
  const run = limiter(Math.max(1, options.concurrency ?? defaultConcurrency()));
  return Promise.all(
    files.map((f) =>
      run(() => {
        options.signal?.throwIfAborted();
        return loadImageTensor(f, p, options.stats);
      }),
    ),
  );
}

/** Yields batches of preprocessed images, in order, skipping (and reporting) those that fail. */
export async function* loadBatches(files: readonly string[], p: Preprocessing, options: LoadOptions = {}): AsyncGenerator<Batch> {
  const batchSize = Math.max(1, options.batchSize ?? 64);
  const concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
  const prefetch = Math.max(1, options.prefetch ?? batchSize + concurrency);
  const run = limiter(concurrency);
  const per = p.channels * p.size[0] * p.size[1];
  const pending: Promise<Outcome>[] = [];
  let next = 0;
  const start = (i: number): Promise<Outcome> =>
    run(async () => {
      if (options.signal?.aborted) return { ok: false, reason: 'cancelled' } as Outcome;
      try {
        return { ok: true, tensor: await loadImageTensor(files[i], p, options.stats) } as Outcome;
      } catch (e) {
        // The reason without the file name (the caller lists it next to its own path).
        const message = (e as Error).message;
        const reason = message.startsWith(`${files[i]}: `) ? message.slice(files[i].length + 2) : message;
        return { ok: false, reason: e instanceof DataError ? reason : `unexpected error: ${reason}` } as Outcome;
      }
    });
  const fill = () => {
    while (pending.length < prefetch && next < files.length) pending.push(start(next++));
  };
  let done = 0;
  let indices: number[] = [];
  let tensors: Float32Array[] = [];
  const flush = (): Batch => {
    const data = new Float32Array(indices.length * per);
    tensors.forEach((t, k) => data.set(t, k * per));
    const batch: Batch = { indices, data, dims: [indices.length, p.channels, p.size[0], p.size[1]] };
    indices = [];
    tensors = [];
    return batch;
  };
  try {
    fill();
    while (pending.length > 0) {
      const outcome = await pending.shift()!;
      const index = done++;
      fill();
      options.signal?.throwIfAborted();
      if (outcome.ok) {
        indices.push(index);
        tensors.push(outcome.tensor);
        if (indices.length === batchSize) yield flush();
      } else {
        options.onSkip?.(index, outcome.reason);
      }
    }
    if (indices.length > 0) yield flush();
  } finally {
    // Let in-flight decodes finish quietly when the consumer stops early.
    await Promise.allSettled(pending);
  }
}

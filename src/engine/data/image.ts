/**
 * Decoding image files with sharp (libvips) into interleaved pixels with the channel count the model takes.
 *
 * - JPEG, PNG (8 and 16 bit), WebP, TIFF, GIF (first frame), AVIF: whatever libvips reads.
 * - EXIF orientation is applied (`rotate()` without an angle), so pixels are as the image is displayed.
 * - 8-bit images stay uint8 (so resizing can reproduce Pillow bit for bit); 16-bit images become float32 on the
 *   0..255 scale (v * 255 / 65535), so the preprocessing's `scale` means the same for both.
 * - Alpha is dropped, as torchvision's loader (`convert('RGB')`) does. Greyscale to RGB replicates the channel;
 *   RGB to greyscale uses Pillow's `convert('L')` weights (ITU-R 601-2, fixed point for 8-bit).
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DataError } from '../errors';
import { fsPath } from './fs-names';

/** Interleaved (HWC) pixels; `data` is uint8, or float32 on the 0..255 scale for 16-bit sources. */
export interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array | Float32Array;
}

export interface DecodedImage extends Pixels {
  /** Channel count of the file before conversion (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA / CMYK). */
  sourceChannels: number;
  /** Bits per sample of the file (8 or 16). */
  bitDepth: number;
  /** EXIF orientation tag of the file (1 when absent). */
  orientation: number;
}

/** Reads and decodes an image file; errors are DataErrors that name the file. */
export async function decodeImageFile(file: string, channels: 1 | 3): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(fsPath(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new DataError(`${file}: cannot read the file (${why})`);
  }
  return decodeImage(bytes, channels, file);
}

/** Decodes encoded image bytes; `name` names the image in error messages. */
export async function decodeImage(bytes: Uint8Array, channels: 1 | 3, name = 'image'): Promise<DecodedImage> {
  if (bytes.length === 0) throw new DataError(`${name}: the file is empty`);
  try {
    const img = sharp(bytes, { failOn: 'error' });
    const meta = await img.metadata();
    const sourceChannels = meta.channels ?? 3;
    const sixteen = meta.depth === 'ushort' || meta.depth === 'short';
    const grey = meta.space === 'b-w' || meta.space === 'grey16';
    const space = grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
    const raw = await img
      .rotate()
      .toColourspace(space)
      .raw(sixteen ? { depth: 'ushort' } : {})
      .toBuffer({ resolveWithObject: true });
    const { width, height, channels: have } = raw.info;
    let data: Uint8Array | Float32Array;
    if (sixteen) {
      const u16 = new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength >> 1);
      data = new Float32Array(u16.length);
      for (let i = 0; i < u16.length; i++) data[i] = (u16[i] * 255) / 65535;
    } else {
      data = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
    }
    const colour = have >= 3 ? 3 : 1;
    const pixels = convertChannels({ width, height, channels: have, data }, colour, channels);
    return { ...pixels, sourceChannels, bitDepth: sixteen ? 16 : 8, orientation: meta.orientation ?? 1 };
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${name}: cannot decode the image (${firstLine((e as Error).message)})`);
  }
}

function firstLine(message: string): string {
  return (
    message
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)[0] ?? 'unknown error'
  );
}

/**
 * Drops alpha and converts `colour` (1 or 3) colour channels to `want`. Pixels with `have` channels: the first
 * `colour` are colour, the rest (alpha) are ignored.
 */
export function convertChannels(src: Pixels, colour: 1 | 3, want: 1 | 3): Pixels {
  const { width, height, channels: have, data } = src;
  if (have === want && colour === want) return src;
  const n = width * height;
  const out = data instanceof Uint8Array ? new Uint8Array(n * want) : new Float32Array(n * want);
  if (colour === want) {
    for (let i = 0; i < n; i++) for (let c = 0; c < want; c++) out[i * want + c] = data[i * have + c];
  } else if (colour === 1) {
    for (let i = 0; i < n; i++) {
      const v = data[i * have];
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    }
  } else if (data instanceof Uint8Array) {
    // Pillow's rgb2l: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.
    for (let i = 0; i < n; i++) {
      const p = i * have;
      out[i] = (data[p] * 19595 + data[p + 1] * 38470 + data[p + 2] * 7471 + 0x8000) >> 16;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const p = i * have;
      out[i] = data[p] * 0.299 + data[p + 1] * 0.587 + data[p + 2] * 0.114;
    }
  }
  return { width, height, channels: want, data: out };
}

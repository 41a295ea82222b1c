/**
 * Lazy reading of ONNX external data (`data_location = EXTERNAL`, keys `location`, `offset`, `length`).
 * Only the byte range of a tensor is read, on first use, and kept.
 *
 * Every field is checked before anything touches the file system: `location` must be a relative path that
 * stays inside the model's folder (no absolute path, no `..`, no NUL, no symbolic link leading out), `offset`
 * and `length` must be non-negative decimal integers (ONNX writes them as strings; a flipped byte gives
 * "24,392" or "2439\u00002"), and `length` must match the tensor's dims and type.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { TensorProto } from './proto';
import { bytesPerElement, elementCount } from './tensor';
import { OnnxFormatError } from '../errors';

/** The checked external-data fields of a tensor. */
export interface ExternalRef {
  location: string;
  offset: number;
  /** undefined: the tensor's size from its dims and type. */
  length: number | undefined;
}

/** Shown for a value in a message: quoted, control characters escaped, long values cut. */
function shown(value: string): string {
  const text = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  return text;
}

function entryOf(t: TensorProto, key: string): string | undefined {
  return t.externalData?.find((e) => e.key === key)?.value;
}

/** A non-negative integer written in decimal (at most 2^53 - 1), or an OnnxFormatError naming the field. */
function byteCount(value: string | undefined, field: 'offset' | 'length', source: string, tensor: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new OnnxFormatError(
      `${source}: tensor ${tensor}: external data ${field} ${shown(value)} is not a non-negative whole number of bytes (the model file is damaged)`,
    );
  }
  return n;
}

/**
 * The external-data fields of a tensor stored externally, checked (see the module comment). `source` names
 * the model in errors.
 */
export function externalRef(t: TensorProto, source: string): ExternalRef {
  const tensor = t.name || 'tensor';
  const location = entryOf(t, 'location');
  if (!location) throw new OnnxFormatError(`${source}: tensor ${tensor} is stored externally but names no location`);
  checkLocation(location, source, tensor);
  return {
    location,
    offset: byteCount(entryOf(t, 'offset'), 'offset', source, tensor) ?? 0,
    length: byteCount(entryOf(t, 'length'), 'length', source, tensor),
  };
}

/** A location is a relative path inside the model's folder; anything else is refused before any file access. */
export function checkLocation(location: string, source: string, tensor: string): void {
  const parts = location.split(/[\\/]/);
  if (location.includes('\u0000') || path.isAbsolute(location) || path.win32.isAbsolute(location) || parts.includes('..')) {
    throw new OnnxFormatError(`${source}: external data location ${shown(location)} (tensor ${tensor}) must be a path inside the model's folder`);
  }
}

/**
 * The external data file of `location` under `baseDir`, also when reached through symbolic links: a file whose
 * real path leads out of the model's (real) folder is refused.
 */
export function externalFile(baseDir: string, location: string, source: string, tensor: string): string {
  checkLocation(location, source, tensor);
  const file = path.join(baseDir, location);
  if (!existsSync(file)) {
    throw new OnnxFormatError(`${source}: missing external data file ${file} (tensor ${tensor}); copy it next to the model`);
  }
  let real: string;
  let realBase: string;
  try {
    real = realpathSync(file);
    realBase = realpathSync(baseDir);
  } catch (e) {
    throw new OnnxFormatError(
      `${source}: cannot read the external data file ${file} (tensor ${tensor}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const rel = path.relative(realBase, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new OnnxFormatError(`${source}: external data location ${shown(location)} (tensor ${tensor}) leads out of the model's folder (to ${real})`);
  }
  if (!statSync(real).isFile()) throw new OnnxFormatError(`${source}: external data location ${shown(location)} (tensor ${tensor}) is not a file`);
  return file;
}

export class ExternalData {
  private readonly cache = new Map<TensorProto, TensorProto>();

  /** `baseDir`: the model file's folder (external locations are relative to it); `source` names the model. */
  constructor(
    private readonly baseDir: string | undefined,
    private readonly source: string,
  ) {}

  /** The tensor itself when its data is inline, else a copy with `rawData` read from its external file. */
  resolve = (t: TensorProto): TensorProto => {
    if (t.dataLocation !== 1) return t;
    const hit = this.cache.get(t);
    if (hit) return hit;
    const loaded: TensorProto = { ...t, rawData: this.read(t), dataLocation: 0, externalData: [] };
    this.cache.set(t, loaded);
    return loaded;
  };

  /** The external files a model refers to (for checks and messages). */
  static locations(tensors: Iterable<TensorProto>): string[] {
    const set = new Set<string>();
    for (const t of tensors) {
      if (t.dataLocation !== 1) continue;
      const loc = entryOf(t, 'location');
      if (loc) set.add(loc);
    }
    return [...set];
  }

  private read(t: TensorProto): Uint8Array {
    const name = t.name || 'tensor';
    const ref = externalRef(t, this.source);
    if (this.baseDir === undefined) {
      throw new OnnxFormatError(
        `${this.source}: tensor ${name} is stored in the external file ${ref.location}, but the model was loaded from memory without its folder`,
      );
    }
    const file = externalFile(this.baseDir, ref.location, this.source, name);
    const count = elementCount(t.dims);
    const width = bytesPerElement(t.dataType);
    const expected = count * width;
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new OnnxFormatError(`${this.source}: tensor ${name} declares dims [${t.dims.join(', ')}], not a size that can be read`);
    }
    const { offset } = ref;
    const length = ref.length ?? expected;
    if (width > 0 && length !== expected) {
      throw new OnnxFormatError(
        `${this.source}: tensor ${name}: external data length ${length} does not match its dims [${t.dims.join(', ')}] (${expected} bytes)`,
      );
    }
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (offset + length > size) {
        throw new OnnxFormatError(
          `${this.source}: external data file ${file} is truncated: tensor ${name} needs bytes ${offset}..${offset + length}, the file has ${size}`,
        );
      }
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n <= 0) break;
        done += n;
      }
      if (done < length) {
        throw new OnnxFormatError(
          `${this.source}: external data file ${file} ended at byte ${offset + done} while reading tensor ${name} (bytes ${offset}..${offset + length})`,
        );
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  }
}

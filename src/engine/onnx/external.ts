/**
 * Lazy reading of ONNX external data (`data_location = EXTERNAL`, keys `location`, `offset`, `length`).
 * Only the byte range of a tensor is read, on first use, and kept.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import * as path from 'node:path';
import type { TensorProto } from './proto';
import { bytesPerElement, elementCount } from './tensor';
import { OnnxFormatError } from '../errors';

export class ExternalData {
  private readonly cache = new Map<TensorProto, TensorProto>();

  /** `baseDir`: the model file's folder (external locations are relative to it); `source` names the model. */
  constructor(private readonly baseDir: string | undefined, private readonly source: string) {}

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
      const loc = t.externalData?.find((e) => e.key === 'location')?.value;
      if (loc) set.add(loc);
    }
    return [...set];
  }

  private read(t: TensorProto): Uint8Array {
    const entry = (key: string) => t.externalData?.find((e) => e.key === key)?.value;
    const location = entry('location');
    const name = t.name ?? 'tensor';
    if (!location) throw new OnnxFormatError(`${this.source}: tensor ${name} is stored externally but names no location`);
    if (this.baseDir === undefined) {
      throw new OnnxFormatError(`${this.source}: tensor ${name} is stored in the external file ${location}, but the model was loaded from memory without its folder`);
    }
    if (path.isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
      throw new OnnxFormatError(`${this.source}: external data location ${location} (tensor ${name}) must be a path inside the model's folder`);
    }
    const file = path.join(this.baseDir, location);
    if (!existsSync(file)) {
      throw new OnnxFormatError(`${this.source}: missing external data file ${file} (tensor ${name}); copy it next to the model`);
    }
    const offset = Number(entry('offset') ?? 0);
    const expected = elementCount(t.dims) * bytesPerElement(t.dataType);
    const length = entry('length') !== undefined ? Number(entry('length')) : expected;
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (offset + length > size) {
        throw new OnnxFormatError(`${this.source}: external data file ${file} is truncated: tensor ${name} needs bytes ${offset}..${offset + length}, the file has ${size}`);
      }
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n <= 0) break;
        done += n;
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  }
}

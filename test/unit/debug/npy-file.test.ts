import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readNpy, writeNpy } from '../../../src/engine/io/npy';
import { readNpyFile } from '../../../src/engine/io/npy-file';

test('readNpyFile reads large float32 and int64 files exactly as readNpy does, and names a truncated file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-npy-'));
  try {
    const f = path.join(dir, 'a.npy');
    const x = Float32Array.from({ length: 3 * 300 * 301 * 2 }, (_, i) => Math.sin(i) * 1e3);
    writeNpy(f, [2, 3, 300, 301], x);
    const a = readNpyFile(f);
    const b = readNpy(f);
    assert.deepEqual(a.shape, [2, 3, 300, 301]);
    assert.equal(a.dtype, 'float32');
    assert.deepEqual(a.data, b.data);
    const g = path.join(dir, 'b.npy');
    const y = BigInt64Array.from({ length: 200_000 }, (_, i) => BigInt(i * 7 - 5));
    writeNpy(g, [200_000], y);
    assert.deepEqual(readNpyFile(g).data, y);
    truncateSync(f, 2_000_000);
    assert.throws(() => readNpyFile(f), /a\.npy: \.npy data is truncated \(\d+ of 2167200 bytes for shape \[2,3,300,301\]\)/);
    assert.throws(() => readNpyFile(path.join(dir, 'missing.npy')), /missing\.npy: cannot read \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNpy, parseNpy, readNpy } from '../../../src/engine/io/npy';
import { sharedPath } from '../../helpers/shared';

test('npy round trip keeps shape, dtype and values', () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
  const back = parseNpy(formatNpy([2, 3, 4], data));
  assert.equal(back.dtype, 'float32');
  assert.deepEqual(back.shape, [2, 3, 4]);
  assert.deepEqual(Array.from(back.data as Float32Array), Array.from(data));
  const ints = parseNpy(formatNpy([3], BigInt64Array.from([1n, -2n, 3n])));
  assert.deepEqual(Array.from(ints.data as BigInt64Array), [1n, -2n, 3n]);
});

test('npy header is padded to a multiple of 64 bytes, as numpy writes it', () => {
  const bytes = formatNpy([5], new Float64Array(5));
  const headerLen = bytes[8] | (bytes[9] << 8);
  assert.equal((10 + headerLen) % 64, 0);
  assert.equal(bytes[10 + headerLen - 1], 0x0a);
});

test('npy errors name the file and what is wrong', () => {
  assert.throws(() => parseNpy(new Uint8Array(20), 'x.npy'), /x\.npy: not a \.npy file/);
  const good = formatNpy([4], new Float32Array(4));
  assert.throws(() => parseNpy(good.subarray(0, good.length - 3), 'cut.npy'), /cut\.npy: .npy data is truncated/);
});

test('npy reads the reference fixtures written by numpy', (t) => {
  const file = sharedPath(t, 'reference/gradients/shortcut-resnet__layer3.1__fc__lower.npy');
  if (!file) return;
  const a = readNpy(file);
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.shape, [8, 64, 8, 8]);
  assert.ok(
    (a.data as Float32Array).every((v) => Number.isFinite(v) && v >= 0),
    'ReLU outputs are finite and >= 0',
  );
});

/**
 * External data (issue #17, finding 1 and the security note): every field is checked before any file access;
 * a damaged offset or length is an OnnxFormatError naming the tensor and the field, never a RangeError; a
 * location outside the model's folder is refused without probing the file system there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/onnx/model';
import { encodeModel, type TensorProto } from '../../../src/engine/onnx/proto';
import { OnnxFormatError } from '../../../src/engine/errors';
import { tinyResnet } from './fixtures';

/** The tiny model with `fc.w` (5 x 4 floats, 80 bytes) stored externally with the given entries. */
function writeExternalModel(dir: string, entries: Record<string, string>, data: Uint8Array = new Uint8Array(100)): string {
  const proto = tinyResnet();
  const t = proto.graph.initializer.find((i) => i.name === 'fc.w') as TensorProto;
  t.rawData = new Uint8Array(0);
  t.dataLocation = 1;
  t.externalData = Object.entries(entries).map(([key, value]) => ({ key, value }));
  writeFileSync(path.join(dir, 'weights.bin'), data);
  const file = path.join(dir, 'model.onnx');
  writeFileSync(file, encodeModel(proto));
  return file;
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nf-ext-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'a valid external tensor reads its bytes at the offset',
  withDir(async (dir) => {
    const data = new Uint8Array(100).map((_, i) => i);
    const file = writeExternalModel(dir, { location: 'weights.bin', offset: '8', length: '80' }, data);
    const m = await loadModel(file);
    const v = m.graph.constantValue('fc.w')!;
    assert.deepEqual(v.dims, [5, 4]);
    assert.deepEqual([...new Uint8Array(v.data.buffer, v.data.byteOffset, 4)], [8, 9, 10, 11]);
  }),
);

for (const [field, value] of [
  ['offset', '24,392'],
  ['offset', '-8'],
  ['offset', '1e3'],
  ['offset', ' 8'],
  ['offset', '8\u00002'],
  ['offset', ''],
  ['offset', '99999999999999999999'],
  ['length', 'NaN'],
  ['length', '80.5'],
  ['length', '-80'],
  ['length', '0x50'],
] as const) {
  test(
    `external data ${field} ${JSON.stringify(value)} is an OnnxFormatError naming the tensor and field`,
    withDir(async (dir) => {
      const entries: Record<string, string> = { location: 'weights.bin', offset: '0', length: '80' };
      entries[field] = value;
      const file = writeExternalModel(dir, entries);
      await assert.rejects(
        loadModel(file),
        (e: Error) =>
          e instanceof OnnxFormatError && e.message.includes('tensor fc.w') && e.message.includes(`external data ${field}`) && e.message.includes(file),
      );
    }),
  );
}

test(
  'an external length that does not match the dims is refused, and an offset past the end is "truncated"',
  withDir(async (dir) => {
    const wrong = await loadModel(writeExternalModel(dir, { location: 'weights.bin', offset: '0', length: '12' }));
    assert.throws(
      () => wrong.graph.constantValue('fc.w'),
      (e: Error) => e instanceof OnnxFormatError && /external data length 12 does not match its dims \[5, 4\] \(80 bytes\)/.test(e.message),
    );
    const past = await loadModel(writeExternalModel(dir, { location: 'weights.bin', offset: '90', length: '80' }));
    assert.throws(
      () => past.graph.constantValue('fc.w'),
      (e: Error) => e instanceof OnnxFormatError && /is truncated: tensor fc\.w needs bytes 90\.\.170, the file has 100/.test(e.message),
    );
  }),
);

test(
  'locations outside the model folder are refused before any file access',
  withDir(async (dir) => {
    const inner = path.join(dir, 'model');
    mkdirSync(inner);
    writeFileSync(path.join(dir, 'secret.bin'), new Uint8Array(100));
    for (const location of ['../secret.bin', '/etc/passwd', 'a/../../secret.bin', 'C:\\Windows\\win.ini', 'weights\u0000.bin']) {
      const file = writeExternalModel(inner, { location, offset: '0', length: '80' });
      await assert.rejects(loadModel(file), (e: Error) => e instanceof OnnxFormatError && /must be a path inside the model's folder/.test(e.message), location);
    }
    // A symbolic link inside the folder that leads out of it.
    symlinkSync(path.join(dir, 'secret.bin'), path.join(inner, 'link.bin'));
    const file = writeExternalModel(inner, { location: 'link.bin', offset: '0', length: '80' });
    await assert.rejects(loadModel(file), (e: Error) => e instanceof OnnxFormatError && /leads out of the model's folder/.test(e.message));
  }),
);

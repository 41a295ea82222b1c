import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { readNpy } from '../../../src/engine/io/npy';
import { sharedPath } from '../../helpers/shared';
import { relError } from './reference';

test('neurflow attribute: IG from model inputs and from a lower activation both match the PyTorch fixture', async (t) => {
  const dir = sharedPath(t, 'reference/gradients');
  const modelFile = sharedPath(t, 'reference/models/fmnist-cnn.onnx');
  if (!dir || !modelFile) return;
  const out = mkdtempSync(path.join(tmpdir(), 'nf-attr-'));
  try {
    const ref = (j: number) => readNpy(path.join(dir, `fmnist-cnn__features.2__features.5__j${j}__ig_gl_f64.npy`)).data as Float64Array;
    const common = [modelFile, '--lower', 'features.2', '--upper', 'features.5', '--target', '60,16', '--threads', '1'];
    assert.equal(await main(['attribute', ...common, '--inputs', path.join(dir, 'fmnist-cnn__input.npy'), '--out', path.join(out, 'a.npy')]), 0);
    assert.equal(
      await main([
        'attribute',
        ...common,
        '--lower-activation',
        path.join(dir, 'fmnist-cnn__features.2__features.5__lower.npy'),
        '--out',
        path.join(out, 'b.npy'),
        '--method',
        'gausslegendre',
        '--ig-steps',
        '50',
      ]),
      0,
    );
    for (const f of ['a.npy', 'b.npy']) {
      const ig = readNpy(path.join(out, f));
      assert.deepEqual(ig.shape, [2, 8, 32]);
      const data = ig.data as Float64Array;
      assert.ok(relError(data.subarray(0, 256), ref(60)) < 1e-3);
      assert.ok(relError(data.subarray(256), ref(16)) < 1e-3);
    }
    assert.ok(readFileSync(path.join(out, 'a.npy')).length > 0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('neurflow attribute: usage errors exit 2 with a message naming the problem', async (t) => {
  const modelFile = sharedPath(t, 'reference/models/fmnist-cnn.onnx');
  if (!modelFile) return;
  const errors: string[] = [];
  const original = console.error;
  console.error = (...a: unknown[]) => {
    errors.push(a.join(' '));
  };
  try {
    assert.equal(await main(['attribute', modelFile, '--lower', 'features.2', '--upper', 'features.5', '--inputs', 'x.npy']), 2);
    assert.match(errors.join('\n'), /--target is required/);
    assert.equal(await main(['attribute', modelFile, '--lower', 'features.2', '--upper', 'features.5', '--target', '1']), 2);
    assert.match(errors.join('\n'), /exactly one of --inputs and --lower-activation/);
    assert.equal(
      await main(['attribute', modelFile, '--lower', 'features.2', '--upper', 'features.5', '--target', '1', '--inputs', 'x.npy', '--method', 'simpson']),
      2,
    );
    assert.match(errors.join('\n'), /--method: 'simpson'/);
  } finally {
    console.error = original;
  }
});

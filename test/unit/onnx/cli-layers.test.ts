import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../helpers/cli';
import { tinyResnetBytes } from './fixtures';

test('neurflow layers: table, --json, --add, errors', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-cli-'));
  try {
    const file = path.join(dir, 'tiny.onnx');
    writeFileSync(file, tinyResnetBytes());
    const table = await runCli(['layers', file]);
    assert.equal(table.code, 0);
    assert.match(table.out, /^name\s+tensor\s+shape\s+channels\s+positions$/m);
    assert.match(table.out, /^layer1\.0\s+\/layer1\/layer1\.0\/relu_1\/Relu_output_0\s+4x8x8\s+4 \(axis 1\)\s+64$/m);
    assert.match(table.out, /^fc\s+logits\s+5\s+5 \(axis 1\)\s+1$/m);

    const json = await runCli(['layers', file, '--json', '--add', '/stem/Relu_output_0']);
    assert.equal(json.code, 0);
    const doc = JSON.parse(json.out);
    assert.equal(doc.input.name, 'input');
    assert.deepEqual(
      doc.layers.map((l: { name: string }) => l.name),
      ['stem', 'layer1.0', 'fc'],
    );
    assert.deepEqual(doc.layers[1].shape, [4, 8, 8]);

    const unknown = await runCli(['layers', file, '--add', 'layer7']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no layer or tensor named layer7; did you mean/);

    writeFileSync(path.join(dir, 'junk.onnx'), 'this is not a model at all');
    const junk = await runCli(['layers', path.join(dir, 'junk.onnx')]);
    assert.equal(junk.code, 1);
    assert.match(junk.err, /junk\.onnx: not an ONNX model/);

    const usage = await runCli(['layers']);
    assert.equal(usage.code, 2, 'a usage error exits 2');
    assert.match(usage.err, /expected one MODEL argument/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { AttrType, DataType, DATA_TYPE_NAMES, decodeModel, encodeModel } from '../../../src/engine/onnx/proto';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../../src/engine/onnx/build';
import { tinyResnetBytes } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const ONNX_DIR = path.join(ROOT, 'src/engine/onnx');

test('the generated decoders are what scripts/gen-onnx.mjs makes of onnx.proto (npm run gen:onnx)', (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'nf-gen-onnx-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-onnx.mjs'), '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['onnx.generated.js', 'onnx.generated.d.ts']) {
    assert.equal(
      readFileSync(path.join(out, f), 'utf8'),
      readFileSync(path.join(ONNX_DIR, f), 'utf8'),
      `src/engine/onnx/${f} is out of date: run npm run gen:onnx`,
    );
  }
});

test('int64 fields decode to numbers (set or default) and protobufjs keeps its Long setting', () => {
  const long = (protobuf.util as { Long: unknown }).Long;
  const m = decodeModel(tinyResnetBytes(), 'tiny.onnx');
  assert.equal(typeof m.irVersion, 'number');
  assert.equal(typeof m.opsetImport[0].version, 'number');
  assert.equal(m.modelVersion, 0, 'an unset int64 reads as the number 0');
  const dims = m.graph.initializer.flatMap((t) => t.dims);
  assert.ok(dims.length > 0 && dims.every((d) => typeof d === 'number' && d > 0));
  const ints = m.graph.node.flatMap((n) => n.attribute).filter((a) => a.type === AttrType.INTS);
  assert.ok(ints.length > 0 && ints.every((a) => a.ints!.length > 0 && a.ints!.every((v) => typeof v === 'number')));
  const x = m.graph.input[0].type!.tensorType!.shape!.dim.map((d) => d.dimValue ?? d.dimParam);
  assert.deepEqual(x, ['batch', 3, 8, 8]);
  assert.equal((protobuf.util as { Long: unknown }).Long, long, 'no process-wide protobufjs setting changed');
  assert.ok(long, 'protobufjs still decodes int64 to Long elsewhere: the numbers come from our reader');
});

test('negative and large int64 values round-trip as numbers; initializers are views into the file buffer', () => {
  const graph = makeGraph(
    'g',
    [makeNode('Slice', ['x', 'starts', 'ends'], ['y'], { axes: [0] }, 'slice')],
    [makeValueInfo('x', DataType.FLOAT, [4])],
    [makeValueInfo('y', DataType.FLOAT, [3])],
    [
      { name: 'starts', dims: [1], dataType: DataType.INT64, int64Data: [-3] },
      { name: 'ends', dims: [1], dataType: DataType.INT64, int64Data: [2 ** 40] },
      { name: 'w', dims: [2], dataType: DataType.FLOAT, rawData: new Uint8Array(new Float32Array([1.5, -2]).buffer) },
    ],
  );
  const bytes = encodeModel(makeModel(graph));
  const file = new Uint8Array(bytes.length + 16);
  file.set(bytes, 16);
  const back = decodeModel(file.subarray(16), 'slice.onnx');
  const init = new Map(back.graph.initializer.map((t) => [t.name, t]));
  assert.deepEqual(init.get('starts')!.int64Data, [-3]);
  assert.deepEqual(init.get('ends')!.int64Data, [2 ** 40]);
  const raw = init.get('w')!.rawData!;
  assert.equal(raw.buffer, file.buffer, 'raw_data is a view, not a copy');
  assert.deepEqual([...new Float32Array(raw.slice().buffer)], [1.5, -2]);
  assert.deepEqual(encodeModel(back), bytes, 'decode then encode gives the same bytes');
});

test('DataType and AttrType are the generated enums; names for the data types', () => {
  assert.equal(DataType.FLOAT, 1);
  assert.equal(DataType.INT64, 7);
  assert.equal(AttrType.INTS, 7);
  assert.equal(DATA_TYPE_NAMES[DataType.FLOAT16], 'float16');
  assert.equal(DATA_TYPE_NAMES[0], undefined, 'UNDEFINED has no name');
});

/** Where Debian's python3-onnx puts the official schema (IR version 8 there: a subset of ours is checked). */
const OFFICIAL = '/usr/lib/python3/dist-packages/onnx/onnx.proto';

test('every message and field of onnx.proto that the official schema has matches it (name, number, type, rule)', (t) => {
  if (!existsSync(OFFICIAL)) {
    t.skip(`${OFFICIAL} not installed (apt-get install python3-onnx)`);
    return;
  }
  const ours = protobuf.loadSync(path.join(ONNX_DIR, 'onnx.proto')).resolveAll();
  const official = protobuf.loadSync(OFFICIAL).resolveAll();
  let compared = 0;
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        const theirs = official.lookupType(obj.fullName);
        for (const f of obj.fieldsArray) {
          const o = theirs.fields[f.name];
          if (!o) continue; // newer than the installed schema (e.g. NodeProto.metadata_props, IR version 10)
          assert.deepEqual([o.id, o.type, o.rule ?? 'optional'], [f.id, f.type, f.rule ?? 'optional'], `${obj.fullName}.${f.name}`);
          compared++;
        }
      }
      if (obj instanceof protobuf.Enum) {
        const theirs = official.lookupEnum(obj.fullName);
        for (const [k, v] of Object.entries(obj.values)) {
          if (!(k in theirs.values)) continue;
          assert.equal(theirs.values[k], v, `${obj.fullName}.${k}`);
          compared++;
        }
      }
      if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) visit(obj as protobuf.NamespaceBase);
    }
  };
  visit(ours);
  assert.ok(compared > 80, `compared ${compared} fields and values`);
});

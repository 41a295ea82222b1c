/**
 * Mutated ONNX models for the fuzz suite and bench/fuzz.ts: byte mutations (mostly in the structural part of
 * the file, where the graph lives) and mutations of the decoded model (node operators, inputs and attributes,
 * initializer dims, types, data and external-data entries, input shapes, outputs, opsets), each run through the
 * reader (loadModelFromBytes, every constant's value) and the layer detection.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { attr } from '../../../src/engine/onnx/build';
import { detectLayers } from '../../../src/engine/onnx/layers';
import { loadModelFromBytes } from '../../../src/engine/onnx/model';
import { AttrType, decodeModel, encodeModel, type ModelProto } from '../../../src/engine/onnx/proto';
import { inferShapes, probeInputDims } from '../../../src/engine/onnx/shapes';
import { mutateBytes, type Rng } from './harness';
import { tinyResnetBytes } from '../onnx/fixtures';

export interface ModelBase {
  name: string;
  bytes: Uint8Array;
  /** The folder its external data is in (a temp copy), when it has some. */
  baseDir?: string;
  /** The unmutated model's probed shapes (given to the layer detection of its mutants). */
  shapes: Map<string, number[]>;
}

/** The tiny test model and the reference models (those found), with their shapes. */
export async function modelBases(sharedModels: string | undefined): Promise<ModelBase[]> {
  const list: { name: string; bytes: Uint8Array; baseDir?: string }[] = [{ name: 'tiny.onnx', bytes: tinyResnetBytes() }];
  if (sharedModels) {
    for (const name of [
      'fmnist-cnn.onnx',
      'shortcut-mobilenet.onnx',
      'shortcut-resnet.onnx',
      'shortcut-resnet-opset9-constants.onnx',
      'shortcut-resnet-external.onnx',
    ]) {
      const bytes = readFileSync(path.join(sharedModels, name));
      let baseDir: string | undefined;
      if (name.includes('external')) {
        baseDir = mkdtempSync(path.join(tmpdir(), 'nf-fuzz-ext-'));
        writeFileSync(path.join(baseDir, `${name}.data`), readFileSync(path.join(sharedModels, `${name}.data`)));
      }
      list.push({ name, bytes, baseDir });
    }
  }
  const out: ModelBase[] = [];
  for (const b of list) {
    const model = loadModelFromBytes(b.bytes, b.name, b.baseDir);
    out.push({ ...b, shapes: await inferShapes(model) });
  }
  return out;
}

const OPS = ['Conv', 'Relu', 'Add', 'Gemm', 'MatMul', 'Reshape', 'Flatten', 'Concat', 'Constant', 'Identity', 'MaxPool', 'Foo', '', 'Softmax', 'Shape'];

/** One mutation of the decoded model (returns what it did). */
function mutateProto(rng: Rng, m: ModelProto): string {
  const g = m.graph;
  const node = g.node.length > 0 ? g.node[rng.int(g.node.length)] : undefined;
  const init = g.initializer.length > 0 ? g.initializer[rng.int(g.initializer.length)] : undefined;
  const tensorNames = [...g.node.flatMap((n) => n.output), ...g.initializer.map((t) => t.name ?? ''), ...g.input.map((i) => i.name)];
  const kind = rng.int(16);
  switch (kind) {
    case 0:
      if (!node) break;
      node.opType = rng.pick(OPS);
      return `op of ${node.name} -> ${node.opType}`;
    case 1:
      if (!node) break;
      node.input = node.input.map((i) => (rng.chance(0.5) ? rng.pick([...tensorNames, 'nowhere', '', i]) : i));
      return `inputs of ${node.name} rewired`;
    case 2:
      if (!node) break;
      // A cycle: the node reads its own output, or a later node's.
      node.input[0] = rng.chance(0.5) ? node.output[0] : rng.pick(g.node.flatMap((n) => n.output));
      return `cycle through ${node.name}`;
    case 3:
      if (!node) break;
      g.node.splice(g.node.indexOf(node), 1);
      return `node ${node.name} removed`;
    case 4:
      if (!node) break;
      node.output = rng.chance(0.5) ? [] : [rng.pick(tensorNames)];
      return `outputs of ${node.name} changed`;
    case 5: {
      if (!node) break;
      const a = node.attribute.length > 0 ? node.attribute[rng.int(node.attribute.length)] : undefined;
      const name = a?.name ?? rng.pick(['kernel_shape', 'pads', 'strides', 'group', 'axis', 'perm', 'value']);
      const value = rng.pick<() => ReturnType<typeof attr>>([
        () => attr(name, [0, 0]),
        () => attr(name, [-5, 100000]),
        () => attr(name, 0),
        () => attr(name, -1),
        () => attr(name, 2 ** 40),
        () => attr(name, 'text'),
        () => attr(name, { floats: [Number.NaN] }),
        () => ({ name, type: AttrType.TENSOR }),
        () => ({ name, type: rng.int(30) }),
        () => attr(name, [1, 2, 3, 4, 5, 6, 7, 8, 9]),
      ])();
      node.attribute = [...node.attribute.filter((x) => x !== a), value];
      return `attribute ${name} of ${node.name} -> ${JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? '<bytes>' : v))}`;
    }
    case 6:
      if (!init) break;
      init.dims = rng.pick([[], [0], [-1], [2 ** 31, 2 ** 31], [...(init.dims ?? []), 2], (init.dims ?? []).slice(1), [1e15]]);
      return `dims of ${init.name} -> [${init.dims}]`;
    case 7:
      if (!init) break;
      init.dataType = rng.pick([0, 2, 3, 7, 8, 10, 11, 13, 16, 17, 40, -3]);
      return `type of ${init.name} -> ${init.dataType}`;
    case 8:
      if (!init) break;
      init.rawData = rng.chance(0.5) ? init.rawData?.subarray(0, rng.int(init.rawData.length + 1)) : new Uint8Array(0);
      return `raw data of ${init.name} cut`;
    case 9: {
      if (!init) break;
      init.dataLocation = 1;
      const entry = (key: string) => ({ key, value: rng.pick(['0', '8', '-1', '24,392', '1e3', 'abc', '', '99999999999999999999', String(rng.int(1 << 20))]) });
      init.externalData = [
        {
          key: 'location',
          value: rng.pick(['weights.bin', '../x', '/etc/passwd', '', 'sub/../../x', `${init.name}.bin`, 'shortcut-resnet-external.onnx.data', '\u0000']),
        },
        ...(rng.chance(0.7) ? [entry('offset')] : []),
        ...(rng.chance(0.7) ? [entry('length')] : []),
      ];
      return `${init.name} made external: ${JSON.stringify(init.externalData)}`;
    }
    case 10: {
      const input = g.input[0];
      const dims = input?.type?.tensorType?.shape?.dim;
      if (!dims) break;
      const d = dims[rng.int(dims.length)];
      const value = rng.pick([0, -1, 1, 3, 100000, 2 ** 40, 1e15]);
      d.dimValue = value;
      d.dimParam = rng.chance(0.2) ? 'dyn' : '';
      return `input dim -> ${value}`;
    }
    case 11: {
      const input = g.input[0];
      if (!input?.type?.tensorType) break;
      if (rng.chance(0.5)) input.type.tensorType.elemType = rng.pick([0, 2, 7, 10, 11, 99]);
      else input.type.tensorType.shape = rng.chance(0.5) ? undefined : { dim: [] };
      return 'input type or shape changed';
    }
    case 12:
      if (rng.chance(0.5)) g.output = [];
      else g.output[0] = { ...g.output[0], name: rng.pick([...tensorNames, 'nowhere', g.input[0]?.name ?? 'x']) };
      return 'output changed';
    case 13:
      m.opsetImport = rng.pick([
        [],
        [{ domain: '', version: 0 }],
        [{ domain: '', version: 1 }],
        [{ domain: '', version: 9999 }],
        [{ domain: 'x', version: 17 }],
      ]);
      return `opsets -> ${JSON.stringify(m.opsetImport)}`;
    case 14:
      if (rng.chance(0.5)) g.input = [];
      else g.input.push({ ...g.input[0], name: 'second' });
      return 'inputs changed';
    default: {
      if (!node) break;
      g.node.push({ ...node, name: `${node.name}_dup` });
      return `node ${node.name} duplicated`;
    }
  }
  return 'nothing';
}

/** A mutant of `base`: bytes, or the decoded model changed and encoded again. */
export function mutateModel(rng: Rng, base: ModelBase): { bytes: Uint8Array; what: string } {
  if (rng.chance(0.55)) {
    const span = rng.chance(0.8) ? Math.min(base.bytes.length, 8000) : base.bytes.length;
    let { bytes, what } = mutateBytes(rng, base.bytes, span);
    if (rng.chance(0.2)) {
      const again = mutateBytes(rng, bytes, span);
      bytes = again.bytes;
      what += `, ${again.what}`;
    }
    return { bytes, what };
  }
  const proto = decodeModel(base.bytes, base.name);
  const whats = [mutateProto(rng, proto)];
  if (rng.chance(0.3)) whats.push(mutateProto(rng, proto));
  return { bytes: encodeModel(proto), what: whats.join(', ') };
}

/** The reader and the layer detection on one mutant; throws whatever they throw. */
export function exerciseModel(base: ModelBase, bytes: Uint8Array): void {
  const model = loadModelFromBytes(bytes, base.name, base.baseDir);
  for (const name of model.graph.initializers.keys()) model.graph.constantValue(name);
  for (const node of model.graph.nodes) if (node.opType === 'Constant' && node.output[0]) model.graph.constantValue(node.output[0]);
  probeInputDims(model);
  detectLayers(model, base.shapes);
}

/**
 * Where an ONNX file is damaged: a walk over its protobuf structure (field headers and lengths, guided by the
 * ONNX messages' field numbers and types, never decoding values) that finds the first byte that does not fit,
 * and names the message path there (`graph.node[12] "/layer1/conv/Conv" (Conv).attribute[0]`). It tells a file
 * that ends early (cut short: the structure is sound up to the last byte and a field runs past the end) from
 * one that is damaged inside (a length that overruns its enclosing message, a wire type a field cannot have,
 * a field number 0), which protobufjs's own messages ("index out of range") do not.
 *
 * Used only to explain a decoding failure (model.ts): the happy path never walks the file twice.
 */

/** How a field is stored: varint (0), 64-bit (1), length-delimited (2) or 32-bit (5); `msg` names a message. */
interface FieldDef {
  name: string;
  wire: 0 | 1 | 2 | 5;
  repeated?: boolean;
  msg?: string;
}

const f = (name: string, wire: 0 | 1 | 2 | 5, repeated = false, msg?: string): FieldDef => ({ name, wire, repeated, msg });
const m = (name: string, msg: string, repeated = false): FieldDef => f(name, 2, repeated, msg);

/**
 * The messages of src/engine/onnx/onnx.proto by field number (test/unit/onnx/wire.test.ts checks this table
 * against the .proto file). Fields not listed (newer ONNX versions) are skipped by their wire type.
 */
export const ONNX_MESSAGES: Record<string, Record<number, FieldDef>> = {
  ModelProto: {
    1: f('ir_version', 0),
    8: m('opset_import', 'OperatorSetIdProto', true),
    2: f('producer_name', 2),
    3: f('producer_version', 2),
    4: f('domain', 2),
    5: f('model_version', 0),
    6: f('doc_string', 2),
    7: m('graph', 'GraphProto'),
    14: m('metadata_props', 'StringStringEntryProto', true),
  },
  OperatorSetIdProto: { 1: f('domain', 2), 2: f('version', 0) },
  StringStringEntryProto: { 1: f('key', 2), 2: f('value', 2) },
  GraphProto: {
    1: m('node', 'NodeProto', true),
    2: f('name', 2),
    5: m('initializer', 'TensorProto', true),
    10: f('doc_string', 2),
    11: m('input', 'ValueInfoProto', true),
    12: m('output', 'ValueInfoProto', true),
    13: m('value_info', 'ValueInfoProto', true),
    16: m('metadata_props', 'StringStringEntryProto', true),
  },
  NodeProto: {
    1: f('input', 2, true),
    2: f('output', 2, true),
    3: f('name', 2),
    4: f('op_type', 2),
    7: f('domain', 2),
    8: f('overload', 2),
    5: m('attribute', 'AttributeProto', true),
    6: f('doc_string', 2),
    9: m('metadata_props', 'StringStringEntryProto', true),
  },
  AttributeProto: {
    1: f('name', 2),
    21: f('ref_attr_name', 2),
    13: f('doc_string', 2),
    20: f('type', 0),
    2: f('f', 5),
    3: f('i', 0),
    4: f('s', 2),
    5: m('t', 'TensorProto'),
    6: m('g', 'GraphProto'),
    7: f('floats', 5, true),
    8: f('ints', 0, true),
    9: f('strings', 2, true),
    10: m('tensors', 'TensorProto', true),
    11: m('graphs', 'GraphProto', true),
  },
  TensorProto: {
    1: f('dims', 0, true),
    2: f('data_type', 0),
    4: f('float_data', 5, true),
    5: f('int32_data', 0, true),
    6: f('string_data', 2, true),
    7: f('int64_data', 0, true),
    8: f('name', 2),
    12: f('doc_string', 2),
    9: f('raw_data', 2),
    13: m('external_data', 'StringStringEntryProto', true),
    14: f('data_location', 0),
    10: f('double_data', 1, true),
    11: f('uint64_data', 0, true),
  },
  ValueInfoProto: { 1: f('name', 2), 2: m('type', 'TypeProto'), 3: f('doc_string', 2), 4: m('metadata_props', 'StringStringEntryProto', true) },
  TypeProto: { 1: m('tensor_type', 'TypeProto.Tensor'), 6: f('denotation', 2) },
  'TypeProto.Tensor': { 1: f('elem_type', 0), 2: m('shape', 'TensorShapeProto') },
  TensorShapeProto: { 1: m('dim', 'TensorShapeProto.Dimension', true) },
  'TensorShapeProto.Dimension': { 1: f('dim_value', 0), 2: f('dim_param', 2), 3: f('denotation', 2) },
};

/**
 * Field numbers of the upstream ONNX messages that the project's onnx.proto leaves out (training info,
 * functions, sparse tensors, segments, non-tensor types...): skipped by their wire type. Any other field number
 * in a known message is damage.
 */
const OTHER_FIELDS: Record<string, readonly number[]> = {
  ModelProto: [20, 25, 26],
  GraphProto: [14, 15],
  NodeProto: [10],
  AttributeProto: [14, 15, 22, 23],
  TensorProto: [3, 16],
  TypeProto: [4, 5, 7, 8, 9],
};

const WIRE_NAMES: Record<number, string> = { 0: 'varint', 1: '64-bit', 2: 'length-delimited', 5: '32-bit' };
/** Deeper nesting than this is refused (a graph inside an attribute inside a graph ... ). */
const MAX_DEPTH = 64;

export interface Damage {
  /** Byte offset of the field (or header) that does not fit. */
  offset: number;
  /** Message path there, e.g. `graph.node[3] "conv1" (Conv).attribute[0]`; `model` at the top level. */
  path: string;
  /** What is wrong, in words. */
  problem: string;
  /** The structure is sound up to the end of the file and a field runs past it: the file was cut short. */
  endsEarly: boolean;
  /**
   * Every field up to the end of the file is whole, but an enclosing length declares more: the file was cut
   * exactly at a field boundary, or that length is damaged; the two cannot be told apart.
   */
  atBoundary?: boolean;
  /** Whether the file starts with a ModelProto field (else the bytes are not ONNX at all). */
  startsLikeOnnx: boolean;
}

/** ModelProto's field numbers in any ONNX version, with their wire types. */
const MODEL_FIELD_WIRES: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2 };

class Stop extends Error {
  constructor(readonly damage: Omit<Damage, 'startsLikeOnnx'>) {
    super(damage.problem);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** The first place where `bytes` is not a well-formed ModelProto, or undefined when its structure is sound. */
export function locateDamage(bytes: Uint8Array): Damage | undefined {
  const len = bytes.length;

  /**
   * Reads a varint at `pos` inside a message ending at `end`. `open`: the message may run past the file's end
   * (the top level, or inside a length that does), so hitting the end of the file means the file was cut.
   */
  const varint = (pos: number, end: number, open: boolean, where: () => string, what: string): [number, number] => {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      const p = pos + i;
      if (p >= Math.min(end, len)) {
        if (p >= len && open)
          throw new Stop({ offset: pos, path: where(), problem: `the ${what} at byte ${pos} is cut off by the end of the file`, endsEarly: true });
        throw new Stop({ offset: pos, path: where(), problem: `the ${what} at byte ${pos} runs past the end of its message (byte ${end})`, endsEarly: false });
      }
      const b = bytes[p];
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return [value, p + 1];
    }
    throw new Stop({ offset: pos, path: where(), problem: `the ${what} at byte ${pos} is longer than 10 bytes (not a protobuf varint)`, endsEarly: false });
  };

  /** Walks one message from `start` to `end` (`end` may lie beyond the file when an enclosing length does). */
  const walk = (type: string, start: number, end: number, path: string, depth: number, top: boolean, parentOverruns = false): void => {
    if (depth > MAX_DEPTH) throw new Stop({ offset: start, path, problem: `messages are nested more than ${MAX_DEPTH} deep`, endsEarly: false });
    const fields = ONNX_MESSAGES[type] ?? {};
    const open = top || end > len;
    const counts = new Map<number, number>();
    let nameText = '';
    let opText = '';
    const here = () => `${path}${nameText ? ` "${nameText}"` : ''}${opText ? ` (${opText})` : ''}`;
    let pos = start;
    while (pos < Math.min(end, len)) {
      const at = pos;
      const [tag, afterTag] = varint(pos, end, open, here, 'field header');
      const number = Math.floor(tag / 8);
      const wire = tag % 8;
      const def = fields[number];
      const name = def?.name ?? `field ${number}`;
      if (number === 0)
        throw new Stop({
          offset: at,
          path: here(),
          problem: `the field header at byte ${at} names field number 0, which protobuf does not allow`,
          endsEarly: false,
        });
      if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) {
        throw new Stop({ offset: at, path: here(), problem: `field ${name} at byte ${at} has wire type ${wire}, which ONNX never uses`, endsEarly: false });
      }
      if (!def && ONNX_MESSAGES[type] && !OTHER_FIELDS[type]?.includes(number)) {
        throw new Stop({
          offset: at,
          path: here(),
          problem: `the field header at byte ${at} names field ${number}, which ONNX's ${type} does not have`,
          endsEarly: false,
        });
      }
      const packed = def?.repeated && def.wire !== 2 && wire === 2;
      if (def && wire !== def.wire && !packed) {
        throw new Stop({
          offset: at,
          path: here(),
          problem: `field ${name} at byte ${at} is stored as ${WIRE_NAMES[wire]}, but ${type}.${def.name} is ${WIRE_NAMES[def.wire]}`,
          endsEarly: false,
        });
      }
      const index = counts.get(number) ?? 0;
      counts.set(number, index + 1);
      pos = afterTag;
      if (wire === 0) {
        pos = varint(pos, end, open, here, `value of ${name}`)[1];
      } else if (wire === 1 || wire === 5) {
        const next = pos + (wire === 1 ? 8 : 4);
        if (next > Math.min(end, len)) {
          const cut = next > len && open;
          throw new Stop({
            offset: at,
            path: here(),
            endsEarly: cut,
            problem: cut
              ? `field ${name} at byte ${at} is cut off by the end of the file`
              : `field ${name} at byte ${at} runs past the end of its message (byte ${end})`,
          });
        }
        pos = next;
      } else {
        const [length, dataStart] = varint(pos, end, open, here, `length of ${name}`);
        const dataEnd = dataStart + length;
        // Inside a message, a length past its end is damage; at the top level it may be a file cut short.
        if (dataEnd > end && !top) {
          throw new Stop({
            offset: at,
            path: here(),
            problem: `field ${name} at byte ${at} declares ${length} bytes, but its message ends ${end - dataStart} bytes later (byte ${end})`,
            endsEarly: false,
          });
        }
        if (def?.msg) {
          walk(def.msg, dataStart, dataEnd, `${top ? '' : `${here()}.`}${def.name}${def.repeated ? `[${index}]` : ''}`, depth + 1, false, end > len);
        } else if (dataEnd > len) {
          throw new Stop({
            offset: at,
            path: here(),
            problem: `field ${name} at byte ${at} needs ${length} bytes, the file ends ${len - dataStart} bytes later`,
            endsEarly: true,
          });
        } else if (def && (type === 'NodeProto' || type === 'TensorProto' || type === 'ValueInfoProto') && (def.name === 'name' || def.name === 'op_type')) {
          const text = decoder.decode(bytes.subarray(dataStart, Math.min(dataEnd, dataStart + 80)));
          if (def.name === 'name') nameText = text;
          else opText = text;
        }
        pos = dataEnd;
      }
    }
    if (end > len) {
      // Every field read whole, but this message's length says more follows. When the message around it runs
      // past the end too, the file was cut; when only this one does, its length may as well be damaged.
      if (parentOverruns) {
        throw new Stop({
          offset: len,
          path: here(),
          problem: `the file ends after whole fields, ${end - len} bytes before the end of this message and of the ones around it`,
          endsEarly: true,
        });
      }
      throw new Stop({
        offset: start,
        path: here(),
        problem: `its length (before byte ${start}) declares ${end - start} bytes, the file ends ${len - start} bytes later, after whole fields`,
        endsEarly: false,
        atBoundary: true,
      });
    }
  };

  let startsLikeOnnx = false;
  if (len > 0) {
    const tag = bytes[0] < 0x80 ? bytes[0] : len > 1 && bytes[1] < 0x80 ? (bytes[0] & 0x7f) + bytes[1] * 128 : -1;
    startsLikeOnnx = tag > 0 && MODEL_FIELD_WIRES[Math.floor(tag / 8)] === tag % 8;
  }
  try {
    walk('ModelProto', 0, len, 'model', 0, true);
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return { ...e.damage, startsLikeOnnx };
    if (e instanceof RangeError) return { offset: 0, path: 'model', problem: 'the structure is nested too deeply to follow', endsEarly: false, startsLikeOnnx };
    throw e;
  }
}

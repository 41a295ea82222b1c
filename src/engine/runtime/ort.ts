/**
 * The one module that imports onnxruntime-node. Everything else in the engine runs models through
 * `OrtSession` and plain typed arrays, so the binding can be swapped (or mocked) in one place.
 */
import * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import { RuntimeError } from '../errors';

export type Provider = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export type ProviderSetting = 'auto' | Provider;

export interface SessionOptions {
  provider?: ProviderSetting;
  /** Intra-op threads; default: the machine's physical cores (ORT's own default). */
  threads?: number;
  /**
   * Whether idle intra-op threads spin-wait for work (ORT's default, true). Turn it off when other CPU work
   * (image decoding) runs between model runs on the same cores: spinning threads would steal its time.
   */
  spinning?: boolean;
  /**
   * Whether the CPU provider keeps freed buffers in its arena for later runs (ORT's default, true). The arena
   * never shrinks: a session that once ran a large batch holds that memory until released. Off, each run's
   * buffers go back to the system after the run (what long analyses of large models want).
   */
  memoryArena?: boolean;
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NamedTensor {
  data: TensorData;
  dims: number[];
}

const ORT_TYPE: [new (...a: never[]) => TensorData, ort.Tensor.Type][] = [
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int32Array, 'int32'],
  [BigInt64Array, 'int64'],
  [Uint8Array, 'uint8'],
];

function toOrt(t: NamedTensor): ort.Tensor {
  const type = ORT_TYPE.find(([ctor]) => t.data instanceof ctor)?.[1];
  if (!type) throw new RuntimeError('unsupported input tensor type');
  return new ort.Tensor(type, t.data as never, t.dims);
}

/** The providers to try, in order, for a setting (`auto`: GPU providers this platform can have, then CPU). */
export function providerOrder(setting: ProviderSetting, platform: NodeJS.Platform = process.platform): Provider[] {
  if (setting !== 'auto') return setting === 'cpu' ? ['cpu'] : [setting, 'cpu'];
  if (platform === 'win32') return ['cuda', 'dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cuda', 'webgpu', 'cpu'];
}

export class OrtSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** The execution provider that actually loaded. */
    readonly provider: Provider,
    /** Why each provider tried before it did not load. */
    readonly skipped: { provider: Provider; reason: string }[],
    readonly name: string,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Creates a session from ONNX bytes, trying providers in order. `name` (a file or sub-model name) is used
   * in error messages, together with the node and operator ORT complains about.
   */
  static async create(bytes: Uint8Array, name: string, options: SessionOptions = {}): Promise<OrtSession> {
    const skipped: { provider: Provider; reason: string }[] = [];
    const order = providerOrder(options.provider ?? 'cpu');
    for (const provider of order) {
      try {
        const session = await ort.InferenceSession.create(bytes, {
          executionProviders: [provider],
          intraOpNumThreads: options.threads ?? defaultThreads(),
          // A GPU provider that cannot load logs its failure natively; we report it ourselves.
          logSeverityLevel: provider === 'cpu' ? 2 : 4,
          interOpNumThreads: 1,
          graphOptimizationLevel: 'all',
          enableCpuMemArena: options.memoryArena ?? true,
          ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
        });
        return new OrtSession(session, provider, skipped, name);
      } catch (e) {
        const reason = (e as Error).message;
        if (provider === 'cpu' || !isProviderFailure(reason)) throw describeOrtError(name, reason);
        skipped.push({ provider, reason });
      }
    }
    throw new RuntimeError(`${name}: no execution provider could load the model: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
  }

  /** Runs the model; returns the requested outputs (all by default) as typed arrays with their dims. */
  async run(feeds: Record<string, NamedTensor>, outputs?: string[]): Promise<Record<string, NamedTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = outputs ? await this.session.run(ortFeeds, outputs) : await this.session.run(ortFeeds);
    } catch (e) {
      throw describeOrtError(this.name, (e as Error).message);
    }
    const out: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(result)) {
      out[k] = { data: v.data as TensorData, dims: [...v.dims] };
      v.dispose?.();
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

function isProviderFailure(message: string): boolean {
  return /provider|adapter|library|cuda|webgpu|dml|coreml|not (?:supported|available|found)/i.test(message);
}

/** Turns an ORT message into one that names the model and, where ORT says it, the node and operator. */
export function describeOrtError(model: string, message: string): RuntimeError {
  const { node, op } = nodeInOrtMessage(message);
  const where = [node !== undefined && `node ${node || '(unnamed)'}`, op && `operator ${op}`].filter(Boolean).join(', ');
  return new RuntimeError(`${model}: onnxruntime rejected the model${where ? ` at ${where}` : ''}: ${message.trim()}`);
}

/** The node name and operator type an onnxruntime message refers to, in the forms ORT 1.x writes them. */
export function nodeInOrtMessage(message: string): { node?: string; op?: string } {
  const patterns: [RegExp, number, number][] = [
    // graph check: In Node, ("my_foo", FooBar, "", -1) : ... No Op registered for FooBar
    [/In Node, \("([^"]*)", ([A-Za-z0-9_]+),/, 1, 2],
    // kernel lookup: Could not find an implementation for Conv(11) node with name 'conv_f64'
    [/implementation for ([A-Za-z0-9_]+)\(\d+\) node with name '([^']*)'/, 2, 1],
    // run time: Non-zero status code returned while running Conv node. Name:'/conv1/Conv'
    [/while running ([A-Za-z0-9_]+) node\. Name:'([^']*)'/, 2, 1],
    // shape inference: Node (my_node) Op (Conv) [ShapeInferenceError] ...
    [/Node \(([^)]*)\) Op \(([A-Za-z0-9_]+)\)/, 1, 2],
  ];
  for (const [re, nodeGroup, opGroup] of patterns) {
    const m = re.exec(message);
    if (m) return { node: m[nodeGroup], op: m[opGroup] };
  }
  const op = /No Op registered for ([A-Za-z0-9_]+)/.exec(message)?.[1];
  return op ? { op } : {};
}

export function supportedBackends(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

export const ORT_VERSION: string = (ort.env as { versions?: { node?: string } }).versions?.node ?? 'unknown';

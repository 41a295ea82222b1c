/**
 * `neurflow attribute`: Integrated Gradients of upper-layer channels with respect to a lower layer, on
 * onnxruntime, with the completeness error of every result.
 */
import { PARAMS, usageLine } from '../../engine/params';
import type { CliCommand } from '../command';
import { parseCommandArgs, positiveInt } from '../args';
import { UsageError } from '../../engine/errors';
import { SegmentGradients, type IgTargetResult } from '../../engine/grad/ig';
import { IG_METHODS, type IgMethod } from '../../engine/grad/quadrature';
import { readNpy, writeNpy } from '../../engine/io/npy';
import { detectLayers, resolveLayer } from '../../engine/onnx/layers';
import { loadModel } from '../../engine/onnx/model';
import { encodeModel } from '../../engine/onnx/proto';
import { inferShapes } from '../../engine/onnx/shapes';
import { prefix, segment } from '../../engine/onnx/submodel';
import { OrtSession, type ProviderSetting } from '../../engine/runtime/ort';

const USAGE = `usage: neurflow attribute MODEL --lower LAYER --upper LAYER --target J[,J...]
                          (--inputs X.npy | --lower-activation A.npy) [options]

Integrated Gradients (zero baseline) of F_j = spatial mean of channel j of the upper layer (upper[:, j] for a
rank-2 layer) with respect to the lower layer, summed over the positions of each lower channel: one value per
(target, sample, lower channel). LAYER is a layer name from \`neurflow layers\` or any tensor name.

  --inputs X.npy            model inputs [N,C,H,W] float32, preprocessed (the lower activation is computed)
  --lower-activation A.npy  the lower activation itself [N,C,...] float32 (instead of --inputs)
  --target J[,J...]         upper channel(s); repeatable
${usageLine('igSteps', 26)}
  --method M                ${IG_METHODS.join(' | ')} (default gausslegendre)
  --out FILE.npy            write IG as float64 [targets, N, C_lower]
  --grad-out FILE.npy       also write the plain gradients dF_j/da as float32 [targets, N, ...lower dims]
  --json                    print JSON (per target: delta, completeness errors, attributions)
  --provider P              auto | cpu | cuda | dml | coreml | webgpu (default cpu)
  --threads T               intra-op threads (default: the machine's cores)
  --rows R                  rows (sample x target x step) per runtime call (default: from a 512 MiB budget)

The completeness error |sum_c IG_c - (F_j(a) - F_j(0))| is reported for every result.`;

function parseTargets(values: string[] | undefined): number[] {
  const out = (values ?? [])
    .flatMap((v) => v.split(','))
    .filter((v) => v.trim() !== '')
    .map((v) => {
      const j = Number(v);
      if (!Number.isInteger(j) || j < 0) throw new UsageError(`--target: '${v}' is not a channel index`);
      return j;
    });
  if (out.length === 0) throw new UsageError(`--target is required\n${USAGE}`);
  return out;
}

export const attributeCommand: CliCommand = {
  name: 'attribute',
  summary: 'Integrated Gradients of upper channels w.r.t. a lower layer (reads/writes .npy)',
  usage: USAGE,
  async run(args) {
    const parsed = parseCommandArgs(
      args,
      {
        lower: { type: 'string' },
        upper: { type: 'string' },
        inputs: { type: 'string' },
        'lower-activation': { type: 'string' },
        target: { type: 'string', multiple: true },
        'ig-steps': { type: 'string' },
        method: { type: 'string' },
        out: { type: 'string' },
        'grad-out': { type: 'string' },
        json: { type: 'boolean' },
        provider: { type: 'string' },
        threads: { type: 'string' },
        rows: { type: 'string' },
      },
      USAGE,
    );
    const v = parsed.values;
    const [file, ...extra] = parsed.positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one MODEL argument\n${USAGE}`);
    if (!v.lower || !v.upper) throw new UsageError(`--lower and --upper are required\n${USAGE}`);
    if (Boolean(v.inputs) === Boolean(v['lower-activation'])) throw new UsageError(`give exactly one of --inputs and --lower-activation\n${USAGE}`);
    const targets = parseTargets(v.target);
    const method = (v.method ?? 'gausslegendre') as IgMethod;
    if (!IG_METHODS.includes(method)) throw new UsageError(`--method: '${method}' is not one of ${IG_METHODS.join(', ')}`);
    const steps = positiveInt(v['ig-steps'], 'ig-steps', USAGE, PARAMS.igSteps.default)!;
    const session = { provider: (v.provider ?? 'cpu') as ProviderSetting, threads: positiveInt(v.threads, 'threads', USAGE) };

    const started = Date.now();
    const model = await loadModel(file);
    const shapes = await inferShapes(model, session);
    const layers = detectLayers(model, shapes);
    const lower = resolveLayer(model, v.lower, layers, shapes);
    const upper = resolveLayer(model, v.upper, layers, shapes);

    let activation: Float32Array;
    let n: number;
    if (v.inputs) {
      const x = readNpy(v.inputs);
      if (x.dtype !== 'float32') throw new UsageError(`${v.inputs}: expected float32 model inputs, got ${x.dtype}`);
      n = x.shape[0];
      const pre = await OrtSession.create(encodeModel(prefix(model, lower.tensor)), `${model.path} prefix -> ${lower.tensor}`, session);
      try {
        const out = await pre.run({ [model.input.name]: { data: x.data, dims: x.shape } }, [lower.tensor]);
        activation = out[lower.tensor].data as Float32Array;
      } finally {
        await pre.release();
      }
    } else {
      const a = readNpy(v['lower-activation']!);
      if (a.dtype !== 'float32') throw new UsageError(`${v['lower-activation']}: expected float32, got ${a.dtype}`);
      const want = lower.shape.join('x');
      if (a.shape.slice(1).join('x') !== want) {
        throw new UsageError(`${v['lower-activation']}: shape [${a.shape.join(', ')}] does not match layer ${lower.name} [N, ${lower.shape.join(', ')}]`);
      }
      n = a.shape[0];
      activation = a.data as Float32Array;
    }

    const grads = await SegmentGradients.create(segment(model, lower.tensor, upper.tensor), shapes, {
      ...session,
      name: `${model.path} ${lower.name} -> ${upper.name}`,
      rowsPerRun: positiveInt(v.rows, 'rows', USAGE),
    });
    let results: IgTargetResult[];
    try {
      results = await grads.integratedGradients(activation, n, targets, { steps, method });
      if (v['grad-out']) {
        const maps = await grads.gradients(activation, n, targets);
        const all = new Float32Array(maps.reduce((s, m) => s + m.length, 0));
        maps.forEach((m, k) => all.set(m, k * m.length));
        writeNpy(v['grad-out'], [targets.length, n, ...lower.shape], all);
      }
    } finally {
      await grads.release();
    }
    const channels = lower.shape[0];
    if (v.out) {
      const all = new Float64Array(targets.length * n * channels);
      results.forEach((r, k) => all.set(r.attributions, k * n * channels));
      writeNpy(v.out, [targets.length, n, channels], all);
    }
    const seconds = (Date.now() - started) / 1000;
    if (v.json) {
      console.log(
        JSON.stringify(
          {
            model: model.path,
            lower: { name: lower.name, tensor: lower.tensor, shape: lower.shape },
            upper: { name: upper.name, tensor: upper.tensor, shape: upper.shape },
            method,
            steps,
            samples: n,
            provider: grads.provider,
            seconds,
            targets: results.map((r) => ({
              j: r.target,
              delta: [...r.delta],
              completenessError: [...r.completenessError],
              relativeCompletenessError: r.relativeCompletenessError,
              attributions: Array.from({ length: n }, (_, s) => [...r.attributions.subarray(s * channels, (s + 1) * channels)]),
            })),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    console.log(
      `${model.path}: IG of ${upper.name} (${upper.tensor}) w.r.t. ${lower.name} (${lower.tensor}), ${method} ${steps} steps, ${n} samples, provider ${grads.provider}, ${seconds.toFixed(2)} s`,
    );
    for (const r of results) {
      const meanAbs = Array.from({ length: channels }, (_, c) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.abs(r.attributions[i * channels + c]);
        return { c, m: s / n };
      }).sort((a, b) => b.m - a.m || a.c - b.c);
      const meanDelta = r.delta.reduce((a, b) => a + b, 0) / n;
      console.log(
        `  target ${r.target}: mean F(a)-F(0) ${meanDelta.toPrecision(5)}, completeness error max ${Math.max(...r.completenessError).toExponential(2)} (${(100 * r.relativeCompletenessError).toFixed(3)}% of max |delta|)`,
      );
      console.log(
        `    top channels by mean |IG|: ${meanAbs
          .slice(0, 8)
          .map((x) => `${x.c} (${x.m.toPrecision(3)})`)
          .join(', ')}`,
      );
    }
    if (v.out) console.log(`  wrote ${v.out} [${targets.length}, ${n}, ${channels}] float64`);
    if (v['grad-out']) console.log(`  wrote ${v['grad-out']} [${targets.length}, ${n}, ${lower.shape.join(', ')}] float32`);
    return 0;
  },
};

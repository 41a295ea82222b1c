/**
 * Verifies the fast IG path (SegmentGradients) on torchvision topologies (.cache/torchvision,
 * scripts/export-torchvision.sh). Pairs: for the models in MODULE_PAIRS (ShuffleNetV2, DenseNet, RegNet,
 * EfficientNet, MobileNetV3, AlexNet and the tiny members), torch module outputs near the top and in the middle
 * (tensors found by export scope, independent of layer detection); for the others every analysis layer pair
 * plus pairs two layers apart (--stem: the stem layers of branched models too; --layers forces this for every
 * model). For each pair, on the lower activation of a smooth random image, it takes the most active upper
 * channels and compares the plain gradient and IG (Gauss-Legendre) with the plain VJP path (buildVjpModel, one
 * run per step), prints the relative errors, times the IG run, and writes the image, the lower activation and
 * our results for the PyTorch float64 check:
 *
 *   npx tsx bench/grad-verify-torchvision.ts [--models shufflenet_v2_x1_0,...] [--steps 50] [--targets 2] [--seed 1] [--stem] [--layers] [--out .cache/grad-verify]
 *   /usr/bin/python3 bench/grad-verify-torchvision.py [.cache/grad-verify]
 *
 * Measured (torch 1.13 / torchvision 0.14 exports at opset 17, 50 steps, 2 targets x 3 MODULE_PAIRS each),
 * worst max-relative error of our gradient or IG vs PyTorch float64: shufflenet_v2_x1_0 2.5e-7,
 * densenet121 2.2e-7, regnet_y_400mf 1.0e-7, efficientnet_b0 4.7e-7, mobilenet_v3_large 4.0e-7, alexnet 2.8e-7;
 * tiny_shufflenet 1.2e-7, tiny_densenet 1.3e-7, tiny_regnet 8.8e-8. Fast vs plain VJP: <= 5.8e-7.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentGradients } from '../src/engine/grad/ig';
import { quadrature } from '../src/engine/grad/quadrature';
import { writeNpy } from '../src/engine/io/npy';
import { segment } from '../src/engine/onnx/submodel';
import {
  layerPairs,
  moduleCase,
  MODULE_PAIRS,
  relError,
  TORCHVISION_MODELS,
  torchvisionCase,
  torchvisionFile,
  vjpIntegratedGradients,
  type ModulePair,
} from '../test/unit/grad/torchvision';
import type { LoadedModel } from '../src/engine/onnx/model';

interface Entry {
  model: string;
  lower: string;
  upper: string;
  lowerTensor: string;
  upperTensor: string;
  target: number;
  steps: number;
  /** Channel axes of the modules' outputs (the files hold the lower activation and gradient channels first). */
  lowerAxis?: number;
  upperAxis?: number;
  /** Set when lower/upper are torch module paths (the PyTorch check hooks them). */
  modules?: boolean;
  imageFile?: string;
  lowerFile: string;
  gradFile: string;
  igFile: string;
  relGradVjp: number;
  relIgVjp: number;
  completeness: number;
  igSeconds: number;
}

interface Case {
  model: LoadedModel;
  shapes: Map<string, number[]>;
  pairs: ModulePair[];
  activations: Map<string, Float32Array>;
  image?: { data: Float32Array; dims: number[] };
}

async function loadCase(name: string, seed: number, stem: boolean, forceLayers: boolean): Promise<Case> {
  const modules = MODULE_PAIRS[name];
  if (modules && !forceLayers) return moduleCase(torchvisionFile(name), modules, seed);
  const c = await torchvisionCase(torchvisionFile(name), seed, stem);
  return { ...c, pairs: layerPairs(c.layers) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      steps: { type: 'string' },
      out: { type: 'string' },
      only: { type: 'string' },
      targets: { type: 'string' },
      seed: { type: 'string' },
      stem: { type: 'boolean' },
      layers: { type: 'boolean' },
    },
  });
  const models = values.models ? values.models.split(',') : [...TORCHVISION_MODELS];
  const steps = Number(values.steps ?? 50);
  const out = path.resolve(values.out ?? '.cache/grad-verify');
  const { alphas, weights } = quadrature('gausslegendre', steps);
  const entries: Entry[] = [];
  for (const name of models) {
    const c = await loadCase(name, Number(values.seed ?? 1), Boolean(values.stem), Boolean(values.layers));
    const byModule = Boolean(MODULE_PAIRS[name]) && !values.layers;
    const dir = path.join(out, name);
    mkdirSync(dir, { recursive: true });
    if (c.image) writeNpy(path.join(dir, 'image.npy'), c.image.dims, c.image.data);
    let worst = { grad: 0, ig: 0 };
    for (const [i, pair] of c.pairs.entries()) {
      const id = `${pair.lower.name}->${pair.upper.name}`;
      if (values.only && !id.includes(values.only)) continue;
      const a = c.activations.get(pair.lower.tensor)!;
      let sg: SegmentGradients | undefined;
      try {
        const seg = segment(c.model, pair.lower.tensor, pair.upper.tensor);
        sg = await SegmentGradients.create(seg, c.shapes, { threads: 2 });
        const f = await sg.values(a, 1);
        // The most active upper channels (a dead channel would compare zeros with zeros).
        const targets = Array.from(f.keys())
          .sort((x, y) => f[y] - f[x])
          .slice(0, Number(values.targets ?? 2));
        for (const target of targets) {
          const [grad] = await sg.gradients(a, 1, [target]);
          const t0 = performance.now();
          const [ig] = await sg.integratedGradients(a, 1, [target], { method: 'gausslegendre', steps });
          const igSeconds = (performance.now() - t0) / 1000;
          const ref = await vjpIntegratedGradients(seg, c.shapes, a, pair.lower.shape, pair.upper.shape, target, alphas, weights);
          const relGradVjp = relError(grad, ref.grad);
          const relIgVjp = relError(ig.attributions, ref.ig);
          worst = { grad: Math.max(worst.grad, relGradVjp), ig: Math.max(worst.ig, relIgVjp) };
          const base = `${i}-${target}`;
          writeNpy(path.join(dir, `${i}-lower.npy`), [1, ...pair.lower.shape], a);
          writeNpy(path.join(dir, `${base}-grad.npy`), [1, ...pair.lower.shape], grad);
          writeNpy(path.join(dir, `${base}-ig.npy`), [pair.lower.shape[0]], ig.attributions);
          entries.push({
            model: name,
            lower: pair.lower.name,
            upper: pair.upper.name,
            lowerTensor: pair.lower.tensor,
            upperTensor: pair.upper.tensor,
            target,
            steps,
            ...(byModule ? { modules: true, imageFile: `${name}/image.npy` } : {}),
            ...('channelAxis' in pair.lower ? { lowerAxis: pair.lower.channelAxis, upperAxis: pair.upper.channelAxis } : {}),
            lowerFile: `${name}/${i}-lower.npy`,
            gradFile: `${name}/${base}-grad.npy`,
            igFile: `${name}/${base}-ig.npy`,
            relGradVjp,
            relIgVjp,
            completeness: ig.relativeCompletenessError,
            igSeconds,
          });
          console.log(
            `${name} ${id} j=${target}: fast vs vjp rel grad ${relGradVjp.toExponential(2)} IG ${relIgVjp.toExponential(2)}; completeness ${ig.relativeCompletenessError.toExponential(2)}; IG ${igSeconds.toFixed(2)} s (${((steps + 2) / igSeconds).toFixed(0)} rows/s)`,
          );
        }
      } catch (e) {
        console.log(`${name} ${id}: FAILED ${(e as Error).message.split('\n')[0]}`);
      } finally {
        await sg?.release();
      }
    }
    console.log(`${name}: worst fast-vs-vjp rel grad ${worst.grad.toExponential(2)}, IG ${worst.ig.toExponential(2)}`);
    writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ entries }, null, 1));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Verifies the fast IG path (SegmentGradients) on every analysis layer pair of the torchvision topologies
 * (.cache/torchvision, scripts/export-torchvision.sh): consecutive pairs plus pairs two layers apart. For each
 * pair (--stem: the stem layers of branched models too), on the lower activation of a smooth random image, it takes the most active upper channels and compares
 * the plain gradient and IG (Gauss-Legendre) with the plain VJP path (buildVjpModel, one run per step), prints
 * the relative errors, times the IG run, and writes the lower activation and our results for the PyTorch check:
 *
 *   npx tsx bench/grad-verify-torchvision.ts [--models resnet18,...] [--steps 50] [--targets 2] [--seed 1] [--stem] [--out .cache/grad-verify]
 *   /usr/bin/python3 bench/grad-verify-torchvision.py [.cache/grad-verify]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentGradients } from '../src/engine/grad/ig';
import { quadrature } from '../src/engine/grad/quadrature';
import { writeNpy } from '../src/engine/io/npy';
import { segment } from '../src/engine/onnx/submodel';
import { layerPairs, relError, TORCHVISION_MODELS, torchvisionCase, torchvisionFile, vjpIntegratedGradients } from '../test/unit/grad/torchvision';

interface Entry {
  model: string; lower: string; upper: string; lowerTensor: string; upperTensor: string; target: number; steps: number;
  lowerFile: string; gradFile: string; igFile: string; relGradVjp: number; relIgVjp: number; completeness: number; igSeconds: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { models: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, only: { type: 'string' }, targets: { type: 'string' }, seed: { type: 'string' }, stem: { type: 'boolean' } } });
  const models = values.models ? values.models.split(',') : [...TORCHVISION_MODELS];
  const steps = Number(values.steps ?? 50);
  const out = path.resolve(values.out ?? '.cache/grad-verify');
  const { alphas, weights } = quadrature('gausslegendre', steps);
  const entries: Entry[] = [];
  for (const name of models) {
    const c = await torchvisionCase(torchvisionFile(name), Number(values.seed ?? 1), values.stem);
    const dir = path.join(out, name);
    mkdirSync(dir, { recursive: true });
    let worst = { grad: 0, ig: 0 };
    for (const [i, pair] of layerPairs(c.layers).entries()) {
      const id = `${pair.lower.name}->${pair.upper.name}`;
      if (values.only && !id.includes(values.only)) continue;
      const a = c.activations.get(pair.lower.tensor)!;
      const seg = segment(c.model, pair.lower.tensor, pair.upper.tensor);
      let sg: SegmentGradients | undefined;
      try {
        sg = await SegmentGradients.create(seg, c.shapes, { threads: 2 });
        const f = await sg.values(a, 1);
        // The most active upper channels (a dead channel would compare zeros with zeros).
        const targets = Array.from(f.keys()).sort((x, y) => f[y] - f[x]).slice(0, Number(values.targets ?? 2));
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
            model: name, lower: pair.lower.name, upper: pair.upper.name, lowerTensor: pair.lower.tensor, upperTensor: pair.upper.tensor, target, steps,
            lowerFile: `${name}/${i}-lower.npy`, gradFile: `${name}/${base}-grad.npy`, igFile: `${name}/${base}-ig.npy`,
            relGradVjp, relIgVjp, completeness: ig.relativeCompletenessError, igSeconds,
          });
          console.log(`${name} ${id} j=${target}: fast vs vjp rel grad ${relGradVjp.toExponential(2)} IG ${relIgVjp.toExponential(2)}; completeness ${ig.relativeCompletenessError.toExponential(2)}; IG ${igSeconds.toFixed(2)} s (${((steps + 2) / igSeconds).toFixed(0)} rows/s)`);
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

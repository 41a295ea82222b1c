/**
 * The long fuzz run (issue #17): the unit fuzz suite's generators (test/unit/fuzz) with more cases and other
 * seeds, plus the shape probe (onnxruntime) on a share of the mutated models that load. Prints the counts per
 * family: cases, results, named errors by class, crashes (anything not a NeurflowError, or slower than the hang
 * limit) with their first lines, and the slowest case. Exit status 1 when anything crashed.
 *
 * Usage: node --import tsx bench/fuzz.ts [--seed N] [--models N] [--results N] [--messages N] [--sidecars N]
 *          [--manifests N] [--trees N] [--probe-every N] [--hang-ms N]        (npm run bench:fuzz)
 * Defaults: seed 1, 6000 models, 3000 results, 20000 messages, 3000 sidecars, 3000 manifests, 500 trees,
 * the probe on every 25th loadable model, hang limit 20 s. Takes a few minutes on 2 cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelFromBytes } from '../src/engine/onnx/model';
import { inferShapes } from '../src/engine/onnx/shapes';
import { Rng, Tally } from '../test/unit/fuzz/harness';
import { exerciseManifest, exerciseSidecar, exerciseTree, INPUTS, mutateManifest, mutateSidecar, randomTree, sandbox } from '../test/unit/fuzz/inputs';
import { exerciseModel, modelBases, mutateModel } from '../test/unit/fuzz/models';
import { exerciseMessage, exerciseResult, mutateMessage, mutateResult, resultBase } from '../test/unit/fuzz/results';

const REPO = path.resolve(__dirname, '..');
const SHARED = process.env.NEURFLOW_SHARED ?? path.resolve(REPO, '..', 'shared');

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    models: { type: 'string', default: '6000' },
    results: { type: 'string', default: '3000' },
    messages: { type: 'string', default: '20000' },
    sidecars: { type: 'string', default: '3000' },
    manifests: { type: 'string', default: '3000' },
    trees: { type: 'string', default: '500' },
    'probe-every': { type: 'string', default: '25' },
    'hang-ms': { type: 'string', default: '20000' },
  },
});
const n = (k: keyof typeof values) => Number(values[k]);
const seed = n('seed');
const hangMs = n('hang-ms');

async function main(): Promise<number> {
  const started = performance.now();
  const tallies: Tally[] = [];
  const time = async (t: Tally, fn: () => Promise<void> | void) => {
    const t0 = performance.now();
    await fn();
    console.log(`${t.summary()} [${((performance.now() - t0) / 1000).toFixed(1)} s]`);
    tallies.push(t);
  };

  const bases = await modelBases(path.join(SHARED, 'reference', 'models'));
  const models = new Tally('models (reader + layer detection)', hangMs);
  const probes = new Tally('models (shape probe, onnxruntime)', hangMs);
  try {
    await time(models, async () => {
      const per = Math.ceil(n('models') / bases.length);
      let loadable = 0;
      for (const [b, base] of bases.entries()) {
        const rng = new Rng(seed * 7919 + b);
        for (let i = 0; i < per; i++) {
          let mutant: { bytes: Uint8Array; what: string };
          try {
            mutant = mutateModel(rng, base);
          } catch {
            continue;
          }
          const label = `${base.name} seed ${seed} #${i} (${mutant.what})`;
          const before = models.ok;
          models.run(label, () => exerciseModel(base, mutant.bytes));
          if (models.ok > before && ++loadable % n('probe-every') === 0) {
            await probes.runAsync(label, async () => {
              await inferShapes(loadModelFromBytes(mutant.bytes, base.name, base.baseDir));
            });
          }
        }
      }
    });
    console.log(probes.summary());
    tallies.push(probes);
  } finally {
    for (const b of bases) if (b.baseDir) rmSync(b.baseDir, { recursive: true, force: true });
  }

  const doc = resultBase();
  const results = new Tally('result documents', hangMs);
  await time(results, () => {
    const rng = new Rng(seed * 104729);
    for (let i = 0; i < n('results'); i++) {
      const { text, what } = mutateResult(rng, doc);
      results.run(`result seed ${seed} #${i} (${what})`, () => exerciseResult(text));
    }
  });
  const messages = new Tally('webview messages', hangMs);
  await time(messages, () => {
    const rng = new Rng(seed * 15485863);
    for (let i = 0; i < n('messages'); i++) {
      const { value, what } = mutateMessage(rng);
      messages.run(`message seed ${seed} #${i} (${what})`, () => exerciseMessage(value));
    }
  });

  const box = sandbox();
  try {
    const sidecars = new Tally('sidecars', hangMs);
    await time(sidecars, () => {
      const rng = new Rng(seed * 32452843);
      for (let i = 0; i < n('sidecars'); i++) {
        const { text, what } = mutateSidecar(rng, box);
        const input = INPUTS[i % INPUTS.length];
        sidecars.run(`sidecar seed ${seed} #${i} (${what})`, () => exerciseSidecar(box, text, input));
      }
    });
    const manifests = new Tally('CSV manifests', hangMs);
    await time(manifests, () => {
      const rng = new Rng(seed * 49979687);
      for (let i = 0; i < n('manifests'); i++) {
        const { text, what } = mutateManifest(rng, box);
        manifests.run(`manifest seed ${seed} #${i} (${what})`, () => exerciseManifest(box, text));
      }
    });
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
  const trees = new Tally('dataset trees with links', hangMs);
  await time(trees, () => {
    const rng = new Rng(seed * 67867967);
    for (let i = 0; i < n('trees'); i++) {
      const root = mkdtempSync(path.join(tmpdir(), 'nf-bench-tree-'));
      try {
        randomTree(rng, root);
        trees.run(`tree seed ${seed} #${i}`, () => exerciseTree(root));
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  });

  const cases = tallies.reduce((a, t) => a + t.cases, 0);
  const crashes = tallies.flatMap((t) => t.crashes.map((c) => `${t.name}: ${c.label}\n    ${c.error.split('\n').slice(0, 4).join('\n    ')}`));
  console.log(`\nseed ${seed}: ${cases} cases in ${((performance.now() - started) / 1000).toFixed(1)} s, ${crashes.length} crashes`);
  for (const c of crashes.slice(0, 20)) console.log(c);
  return crashes.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 70;
  },
);

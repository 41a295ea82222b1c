/**
 * Full class analysis with the reference settings (shortcut-resnet, class triangle, tau 8, 6 layers, the
 * authors' in-place normalisation) compared with the authors' run in shared/reference/neurflow: core sets
 * (Jaccard), sub-concept and group partitions (ARI), circuit weights; per-stage times and peak RSS against the
 * authors' recorded times.  Usage: node --import tsx bench/analysis-reference.ts [--threads N] [--provider P]
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { analyseClass } from '../src/engine/analysis/job';
import { adjustedRandIndex } from '../src/engine/analysis/cluster';
import { regroupDocument } from '../src/engine/analysis/regroup';
import type { ProviderSetting } from '../src/engine/runtime/ort';

const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    provider: { type: 'string' },
    shared: { type: 'string' },
    'ig-steps': { type: 'string' },
    exact: { type: 'boolean' },
  },
});
const shared = path.resolve(values.shared ?? path.join(__dirname, '../../shared'));
const refDir = path.join(shared, 'reference/neurflow');
const config = JSON.parse(readFileSync(path.join(refDir, 'run_config.json'), 'utf8'));
const neurons = JSON.parse(readFileSync(path.join(refDir, 'neurons.json'), 'utf8'));
const groups = JSON.parse(readFileSync(path.join(refDir, 'groups.json'), 'utf8'));
const refCrops: number[][] = JSON.parse(readFileSync(path.join(refDir, 'crops.json'), 'utf8')).crops.map((x: [number, number, number[]]) => [
  x[0],
  x[1],
  ...x[2],
]);
const timing = JSON.parse(readFileSync(path.join(refDir, 'timing.json'), 'utf8'));

(async () => {
  const t0 = performance.now();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const { doc } = await analyseClass({
    model: path.join(shared, 'reference/models/shortcut-resnet.onnx'),
    data: path.join(shared, 'datasets/shortcut/test'),
    class: config.class_id,
    layers: config.layers_top_first,
    params: {
      tau: config.tau,
      normalisation: 'reference',
      exact: values.exact ?? false,
      ...(values['ig-steps'] ? { igSteps: Number(values['ig-steps']) } : {}),
    },
    threads: values.threads ? Number(values.threads) : undefined,
    provider: values.provider as ProviderSetting | undefined,
  });
  clearInterval(timer);
  const wall = (performance.now() - t0) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`images ${doc.class.images.length} (reference ${config.images.length}); provider ${doc.runtime.provider}`);
  const groupMaps = new Map<string, Map<number, number>>();
  const counts = new Map<string, number>();
  // Framework layer L holds the neurons of layers_top_first[5 - L]; its core inputs are the neurons of the next.
  for (const L of ['5', '4', '3', '2', '1']) {
    const ref = neurons.layers[L];
    const ours = doc.layers.find((l) => l.name === ref.upper_module)!;
    const lower = doc.layers.find((l) => l.name === ref.lower_module)!;
    const refCore = new Set<number>(
      Object.values(ref.neurons).flatMap((n) => (n as { critical_lower_neurons_ranked: number[] }).critical_lower_neurons_ranked),
    );
    const ourCore = new Set(lower.neurons.map((n) => n.channel));
    const inter = [...ourCore].filter((c) => refCore.has(c)).length;
    const jaccard = inter / (ourCore.size + refCore.size - inter);
    const aris: number[] = [];
    const subMap = new Map<string, number>();
    let sameK = 0;
    for (const n of ours.neurons) {
      const r = ref.neurons[String(n.channel)];
      if (!r) continue;
      if (r.silhouette_n_clusters === n.subconcepts.length) sameK++;
      const crops = doc.crops.table;
      const byRef = new Map<string, number>();
      // Compare on the crops both hold: our crop ids -> (image, granularity, box) -> reference crop index.
      const refCropIds: number[] = r.top50_crop_indices;
      const label = new Map<number, number>();
      n.subconcepts.forEach((s, si) => s.crops.forEach((c) => label.set(c, si)));
      const key = (row: number[]) => row.join(',');
      n.topCrops.forEach((c) => byRef.set(key(crops[c]), c));
      const a: number[] = [],
        b: number[] = [];
      refCropIds.forEach((rc, i) => {
        const ours2 = byRef.get(key(refCrops[rc]));
        if (ours2 !== undefined) {
          a.push(label.get(ours2)!);
          b.push(r.top50_sub_concept_labels[i]);
        }
      });
      if (a.length > 1) aris.push(adjustedRandIndex(a, b));
      // Our sub-concept index -> the reference label most of its crops carry.
      n.subconcepts.forEach((_, si) => {
        const votes = new Map<number, number>();
        a.forEach((x, i) => {
          if (x === si) votes.set(b[i], (votes.get(b[i]) ?? 0) + 1);
        });
        const best = [...votes.entries()].sort((p, q) => q[1] - p[1])[0];
        if (best) subMap.set(`${n.channel}:${si}`, best[0]);
      });
    }
    // Groups at 3 (2 for the top layer) as the reference's n3.
    const g = groups.groups[L].n3.mapping ? groups.groups[L].n3 : groups.groups[L].n3_fallback;
    const re = regroupDocument(doc, ours.name, g.n_clusters).layers.find((l) => l.name === ours.name)!.grouping!;
    const refOf = new Map<string, number>(g.mapping.map((m: number[]) => [`${m[0]}:${m[1]}`, m[2]]));
    const ga: number[] = [],
      gb: number[] = [];
    re.pairs.forEach(([ch, s], i) => {
      const r = subMap.get(`${ch}:${s}`);
      const rg = r === undefined ? undefined : refOf.get(`${ch}:${r}`);
      if (rg !== undefined) {
        ga.push(re.groups.findIndex((gr) => gr.members.includes(i)));
        gb.push(rg);
      }
    });
    const gm = new Map<number, number>();
    ga.forEach((x, i) => gm.set(x, gb[i]));
    groupMaps.set(ours.name, gm);
    counts.set(ours.name, g.n_clusters);
    console.log(
      `${ref.upper_module.padEnd(9)} core(${ref.lower_module}) Jaccard ${jaccard.toFixed(3)} (${ourCore.size} vs ${refCore.size}); sub-concept k equal ${sameK}/${ours.neurons.length}, ARI min ${Math.min(...aris).toFixed(3)} mean ${(aris.reduce((s, x) => s + x, 0) / aris.length).toFixed(3)}; groups(n=${g.n_clusters}) ARI ${ga.length > 1 ? adjustedRandIndex(ga, gb).toFixed(3) : '-'} on ${ga.length} pairs`,
    );
  }
  let d3 = doc;
  for (const [name, k] of counts) d3 = regroupDocument(d3, name, k);
  let worst = 0,
    edges = 0,
    absErr = 0,
    absRef = 0;
  for (const c of d3.circuit) {
    const L = ['5', '4', '3', '2', '1'].find((l) => neurons.layers[l].upper_module === c.upper)!;
    const refScores = groups.circuit_n3[`${L}->${Number(L) - 1}`]?.scores;
    if (!refScores) continue;
    for (const e of c.edges) {
      const r = refScores[String(groupMaps.get(c.upper)!.get(e.from))]?.[String(groupMaps.get(c.lower)!.get(e.to))];
      if (r === undefined) {
        worst = Infinity;
        continue;
      }
      worst = Math.max(worst, Math.abs(r - e.weight) / Math.max(1e-3, Math.abs(r)));
      absErr += Math.abs(r - e.weight);
      absRef += Math.abs(r);
      edges++;
    }
  }
  console.log(
    `circuit (n3, reference normalisation): ${edges} edges, max rel err ${worst.toExponential(2)}, sum |err| / sum |weight| ${(absErr / absRef).toExponential(2)}`,
  );
  console.log(`approximations: ${doc.approximations ? JSON.stringify(doc.approximations) : 'none (exact)'}`);
  console.log(
    'timings (s):',
    Object.entries(doc.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', '),
  );
  console.log(
    `wall ${wall.toFixed(1)} s vs authors' fit ${timing.fit_seconds_total.toFixed(1)} s (${(timing.fit_seconds_total / wall).toFixed(2)}x); peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (authors ${timing.peak_rss_mib_end.toFixed(0)} MiB)`,
  );
})();

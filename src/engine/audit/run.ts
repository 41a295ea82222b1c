/**
 * The audit ("label error or shortcut?"): the scan's suspects of confident learning, sorted into label
 * errors and shortcut mistakes with the circuit of the classes they are predicted as.
 *
 * 1. Scan the dataset (or take the scan given) and list confident learning's suspects.
 * 2. For each class to examine (by default every class the model predicts for at least two suspects: a
 *    shortcut must fool the model on images of another label), run or reuse the class analysis.
 * 3. Debug the images predicted or labelled as the class at every grouped layer below the top, and judge every
 *    group (shortcuts.ts): present across labels, small and alike evidence, and — measured — occluding its
 *    evidence gives the images of other labels back their label.
 * 4. Sort the suspects (classify.ts).
 */
import * as path from 'node:path';
import { analyseClass, type AnalyseClassOptions } from '../analysis/job';
import type { Box } from '../analysis/crops';
import { openResultModel } from '../analysis/result-model';
import type { ProgressEvent } from '../analysis/pipeline';
import { runScan } from '../data/run-scan';
import type { ScanResult } from '../data/scan';
import { UsageError } from '../errors';
import type { ResultDocument } from '../result/schema';
import type { ProviderSetting } from '../runtime/ort';
import { argmax, softmax } from '../util/probs';
import type { AuditView } from './view';
import { classifySuspects, type ClassReliability, type LabelErrorEntry, type Occlusion, type ShortcutMistakeEntry } from './classify';
import { layerEvidence } from './evidence';
import { boxArea, halfBoxes, MAX_EVIDENCE_AREA, occludeBox, tightest } from './occlude';
import { judgeGroup, type GroupImage, type GroupVerdict } from './shortcuts';

export interface ShortcutExample {
  path: string;
  label: number;
  /** The evidence box (input pixels) that was occluded, and the granularity of its crop. */
  box: Box;
  granularity: number;
  /** Prediction before and after occluding it. */
  before: number;
  after: number;
}

export interface AuditShortcut {
  /** `<class>/<layer>/G<group>`. */
  id: string;
  class: number;
  className: string;
  layer: string;
  group: number;
  /** Channels of the group (what "Mask group" zeroes). */
  channels: number[];
  /** Labels it is present on (class names), with the count of images per label. */
  classesSpanned: string[];
  byLabel: number[];
  /** Share of the images of other labels predicted as the class that go back to their label once its evidence is occluded. */
  flipRate: number;
  measured: number;
  flippedToLabel: number;
  medianCoverage: number;
  medianGranularity: number;
  alike: number;
  /** The result file of the class analysis (for the panel). */
  result?: string;
  /** A few images of other labels with the evidence box, most typical first. */
  examples: ShortcutExample[];
}

export interface GroupAudit extends GroupVerdict {
  class: number;
  layer: string;
  group: number;
}

export interface AuditReport {
  format: 'neurflow.audit';
  version: 1;
  model: string;
  data: string;
  classes: string[];
  examined: string[];
  suspects: number;
  labelErrors: (LabelErrorEntry & { labelName: string; suggestedName: string })[];
  shortcutMistakes: (ShortcutMistakeEntry & { labelName: string; predictedName: string; shortcutId: string })[];
  shortcuts: AuditShortcut[];
  reliability: (ClassReliability & { className: string })[];
  /** The layer whose nearest neighbours judged the labels of classes the model cannot recognise without a shortcut. */
  neighbourLayer?: string;
  /** Every group judged, with its numbers (why it is or is not a shortcut). */
  groups: GroupAudit[];
  results: Record<string, string>;
}

export interface AuditOptions {
  model: string;
  data: string;
  /** Class names or indices to examine, or 'all'; default: the classes predicted for at least two suspects. */
  classes?: (string | number)[] | 'all';
  store?: string;
  provider?: ProviderSetting;
  threads?: number;
  scan?: ScanResult;
  /** Analysis parameters (default: the engine's). */
  analysis?: Pick<AnalyseClassOptions, 'params' | 'blocks' | 'layers'>;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** The audit as `neurflow audit --json` writes it (and the Mistakes view shows it): the three lists, class names for classes. */
export function auditJson(r: AuditReport): AuditView {
  return {
    labelErrors: r.labelErrors.map((e) => ({
      path: e.path,
      label: e.labelName,
      suggested: e.suggestedName,
      score: e.score,
      ...(e.shortcut !== undefined ? { shortcut: r.shortcuts[e.shortcut].id } : {}),
      why: e.why,
    })),
    shortcutMistakes: r.shortcutMistakes.map((m) => ({
      path: m.path,
      label: m.labelName,
      predicted: m.predictedName,
      shortcut: m.shortcutId,
      box: m.box,
      labelProbBefore: m.labelProbBefore,
      labelProbAfter: m.labelProbAfter,
      alsoLabelError: m.alsoLabelError,
      why: m.why,
    })),
    shortcuts: r.shortcuts.map((s) => ({
      id: s.id,
      class: s.className,
      layer: s.layer,
      group: s.group,
      classesSpanned: s.classesSpanned,
      flipRate: s.flipRate,
      measured: s.measured,
      flippedToLabel: s.flippedToLabel,
      channels: s.channels,
      medianCoverage: s.medianCoverage,
      alike: s.alike,
      examples: s.examples.map((x) => ({ path: x.path, label: r.classes[x.label], box: x.box, after: r.classes[x.after] })),
    })),
  };
}

/** Classes predicted for at least two suspects whose label differs (a shortcut spans labels). */
export function defaultAuditClasses(scan: ScanResult): number[] {
  const counts = new Map<number, number>();
  for (const s of scan.labelIssues.suspects) {
    const p = scan.images[s.image].pred;
    if (p !== s.label) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return [...counts.entries()]
    .filter(([, n]) => n >= 2)
    .map(([c]) => c)
    .sort((a, b) => a - b);
}

function resolveClasses(scan: ScanResult, wanted: AuditOptions['classes']): number[] {
  if (wanted === 'all') return scan.classes.map((_, i) => i);
  if (!wanted) return defaultAuditClasses(scan);
  return wanted.map((c) => {
    if (typeof c === 'number') {
      if (!Number.isInteger(c) || c < 0 || c >= scan.classes.length) throw new UsageError(`class ${c}: not a class index (0..${scan.classes.length - 1})`);
      return c;
    }
    const i = scan.classes.indexOf(c);
    if (i < 0) throw new UsageError(`class '${c}': not a class of the dataset (${scan.classes.join(', ')})`);
    return i;
  });
}

const EXAMPLES = 6;

export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const progress = options.onProgress ?? (() => {});
  const scan =
    options.scan ??
    (await runScan(options.model, options.data, {
      provider: options.provider,
      threads: options.threads,
      signal: options.signal,
      onProgress: (done, total) => progress({ stage: 'activations', done, total, message: `Scanning ${total} images` }),
    }));
  const k = scan.classes.length;
  const classes = resolveClasses(scan, options.classes);
  const shortcuts: AuditShortcut[] = [];
  const groups: GroupAudit[] = [];
  const occlusions = new Map<number, Occlusion[]>();
  const present = new Map<number, Set<number>>(); // class -> images with a shortcut of the class present
  const reliability: ClassReliability[] = [];
  const results: Record<string, string> = {};
  let headLayer: { doc: ResultDocument; file?: string } | undefined;
  for (const cls of classes) {
    const name = scan.classes[cls];
    progress({ stage: 'activations', done: 0, total: 0, message: `Class ${name}: analysis` });
    let doc: ResultDocument;
    let file: string | undefined;
    try {
      const res = await analyseClass({
        model: options.model,
        data: options.data,
        class: cls,
        store: options.store,
        provider: options.provider,
        threads: options.threads,
        scan,
        signal: options.signal,
        onProgress: options.onProgress,
        ...options.analysis,
      });
      doc = res.doc;
      file = res.file;
    } catch (e) {
      if (e instanceof UsageError && /no image of/.test(e.message)) continue;
      throw e;
    }
    if (file) results[name] = file;
    headLayer ??= { doc, file };
    const rm = await openResultModel(doc, file ?? options.model, { model: options.model, provider: options.provider, threads: options.threads });
    const [height, width] = rm.preprocessing.size;
    const ch = rm.preprocessing.channels;
    const geom = { height, width };
    const examined = scan.images.flatMap((im, i) => (im.pred === cls || im.label === cls ? [i] : []));
    const tensors = await rm.load(examined.map((i) => path.join(scan.dataset.root, scan.images[i].path)));
    progress({ stage: 'activations', done: 0, total: examined.length, message: `Class ${name}: debugging ${examined.length} images` });
    const evidence = await layerEvidence(rm.backend, doc, tensors, ch, geom, { signal: options.signal });
    const size = ch * height * width;
    const predictOccluded = async (items: { local: number; box: Box }[]): Promise<Float64Array[]> => {
      const out: Float64Array[] = [];
      for (let s = 0; s < items.length; s += 64) {
        const part = items.slice(s, s + 64);
        const data = new Float32Array(part.length * size);
        part.forEach((it, j) => data.set(occludeBox(tensors[it.local], ch, height, width, it.box), j * size));
        const logits = await rm.backend.maskedLogits({ data, dims: [part.length, ch, height, width] }, evidence[0].tensor, [], options.signal);
        const kk = logits.dims[1];
        part.forEach((_, j) => out.push(softmax(logits.data, j * kk, kk)));
      }
      return out;
    };
    const mine = new Set<number>();
    present.set(cls, mine);
    for (const layer of evidence) {
      for (let g = 0; g < layer.presence.length; g++) {
        const pres = layer.presence[g];
        const firing = examined.flatMap((img, local) => (pres[local].present && scan.images[img].pred === cls ? [local] : []));
        const others = firing.filter((local) => scan.images[examined[local]].label !== cls);
        const after = await predictOccluded(others.map((local) => ({ local, box: pres[local].box })));
        const afterOf = new Map(others.map((local, j) => [local, after[j]]));
        const items: GroupImage[] = firing.map((local) => {
          const p = pres[local];
          const a = afterOf.get(local);
          return {
            label: scan.images[examined[local]].label,
            granularity: p.granularity,
            coverage: p.coverage,
            centred: p.vector.map((v, c) => v - layer.meanCrop[c]),
            occludedPred: a ? argmax(a, 0, a.length) : undefined,
          };
        });
        const verdict = judgeGroup(cls, k, items);
        groups.push({ ...verdict, class: cls, layer: layer.layer, group: g });
        if (!verdict.shortcut) continue;
        const index = shortcuts.length;
        // Every examined image where it is present: occlude (for the suspects) and remember (for the reliability).
        const all = examined.flatMap((_img, local) => (pres[local].present ? [local] : []));
        // Judging a suspect: the tightest part of the evidence box whose occlusion does the same (a big filled box
        // can clip the object or read as a shape itself); boxes over a quarter of the image are no small evidence.
        const judged = all.filter((local) => scan.images[examined[local]].pred === cls && boxArea(pres[local].box) <= MAX_EVIDENCE_AREA * height * width);
        const candidates = judged.map((local) => [pres[local].box, ...halfBoxes(pres[local].box, geom)]);
        const flat = await predictOccluded(judged.flatMap((local, i) => candidates[i].map((box) => ({ local, box }))));
        let at = 0;
        judged.forEach((local, i) => {
          const img = examined[local];
          const tried = candidates[i].map((box, j) => ({ box, probs: flat[at + j] }));
          at += tried.length;
          const chosen = tightest(tried, scan.images[img].probs[cls], cls);
          occlusions.set(img, [...(occlusions.get(img) ?? []), { shortcut: index, box: pres[local].box, occluded: chosen.box, probs: chosen.probs }]);
        });
        for (const local of all) mine.add(examined[local]);
        const examples: ShortcutExample[] = others
          .map((local) => ({ local, score: pres[local].score }))
          .sort((a, b) => b.score - a.score || a.local - b.local)
          .slice(0, EXAMPLES)
          .map(({ local }) => {
            const after = afterOf.get(local)!;
            return {
              path: scan.images[examined[local]].path,
              label: scan.images[examined[local]].label,
              box: pres[local].box,
              granularity: pres[local].granularity,
              before: cls,
              after: argmax(after, 0, after.length),
            };
          });
        shortcuts.push({
          id: `${name}/${layer.layer}/G${g}`,
          class: cls,
          className: name,
          layer: layer.layer,
          group: g,
          channels: layer.channels[g],
          classesSpanned: verdict.classesSpanned.map((c) => scan.classes[c]),
          byLabel: verdict.byLabel,
          flipRate: verdict.flipRate,
          measured: verdict.measured,
          flippedToLabel: verdict.flippedToLabel,
          medianCoverage: verdict.medianCoverage,
          medianGranularity: verdict.medianGranularity,
          alike: verdict.alike,
          result: file,
          examples,
        });
      }
    }
    if (shortcuts.some((s) => s.class === cls)) {
      const without = examined.filter((img) => scan.images[img].label === cls && !mine.has(img));
      const predicted = new Array<number>(k).fill(0);
      for (const img of without) predicted[scan.images[img].pred]++;
      if (without.length > 0) reliability.push({ class: cls, without: without.length, predicted, recall: predicted[cls] / without.length });
    }
  }
  // A class's recall without its shortcut only discounts its labels when the model misses most of them (CL's
  // noise-below-one-half assumption broken); otherwise its disagreement keeps full weight.
  const weak = reliability.filter((r) => r.recall < 0.5);
  const weakClean = new Set(scan.images.flatMap((im, i) => (weak.some((w) => w.class === im.label) && !present.get(im.label)?.has(i) ? [i] : [])));
  const neighbours =
    weak.length > 0 && headLayer
      ? await neighbourAgreements(
          options,
          scan,
          headLayer,
          weak.map((w) => w.class),
          weakClean,
        )
      : undefined;
  const agreement = neighbours?.agreement;
  const classified = classifySuspects(
    scan.images,
    scan.labelIssues,
    scan.classes,
    occlusions,
    weak,
    (image, cls) => present.get(cls)?.has(image) ?? false,
    (i) => shortcuts[i].id,
    agreement ? (i) => agreement.get(i) : undefined,
  );
  return {
    format: 'neurflow.audit',
    version: 1,
    model: path.resolve(options.model),
    data: path.resolve(options.data),
    classes: scan.classes,
    examined: classes.map((c) => scan.classes[c]),
    suspects: scan.labelIssues.suspects.length,
    labelErrors: classified.labelErrors.map((e) => ({ ...e, labelName: scan.classes[e.label], suggestedName: scan.classes[e.suggested] })),
    shortcutMistakes: classified.shortcutMistakes.map((m) => ({
      ...m,
      labelName: scan.classes[m.label],
      predictedName: scan.classes[m.predicted],
      shortcutId: shortcuts[m.shortcut].id,
    })),
    shortcuts,
    reliability: reliability.map((r) => ({ ...r, className: scan.classes[r.class] })),
    ...(neighbours ? { neighbourLayer: neighbours.layer } : {}),
    groups,
    results,
  };
}

/** Neighbours per image for the representation check: a small neighbourhood, fixed (not fitted). */
export const NEIGHBOURS = 10;

/**
 * For the images labelled as one of `labels`: the share of their NEIGHBOURS nearest images (cosine of the channel
 * means of one analysis layer below the top; the image itself excluded) that carry the same label. The layer is
 * the one where the `clean` images (labelled as one of `labels`, no shortcut present) agree most with their
 * neighbours; it is returned for the report.
 */
async function neighbourAgreements(
  options: AuditOptions,
  scan: ScanResult,
  from: { doc: ResultDocument; file?: string },
  labels: number[],
  clean: ReadonlySet<number>,
): Promise<{ agreement: Map<number, number>; layer: string }> {
  const layers = from.doc.layers.slice(1);
  const rm = await openResultModel(from.doc, from.file ?? options.model, { model: options.model, provider: options.provider, threads: options.threads });
  const [height, width] = rm.preprocessing.size;
  const ch = rm.preprocessing.channels;
  const size = ch * height * width;
  const vectors: Float32Array[][] = layers.map(() => []);
  for (let s = 0; s < scan.images.length; s += 128) {
    const part = scan.images.slice(s, s + 128);
    const tensors = await rm.load(part.map((im) => path.join(scan.dataset.root, im.path)));
    const data = new Float32Array(part.length * size);
    tensors.forEach((t, i) => data.set(t, i * size));
    const means = await rm.backend.channelMeans(
      { data, dims: [part.length, ch, height, width] },
      layers.map((l) => l.tensor),
      options.signal,
    );
    means.forEach((m, li) => {
      const c = m.dims[1];
      for (let i = 0; i < part.length; i++) {
        const v = m.data.slice(i * c, (i + 1) * c);
        const n = Math.hypot(...v) || 1;
        vectors[li].push(v.map((x) => x / n));
      }
    });
  }
  const agreementAt = (vs: Float32Array[], i: number): number => {
    const sims = vs
      .map((v, j) => {
        if (j === i) return { j, s: -Infinity };
        let d = 0;
        for (let c = 0; c < v.length; c++) d += v[c] * vs[i][c];
        return { j, s: d };
      })
      .sort((a, b) => b.s - a.s || a.j - b.j)
      .slice(0, NEIGHBOURS);
    return sims.filter((x) => scan.images[x.j].label === scan.images[i].label).length / sims.length;
  };
  // The layer in which the images of these labels without the shortcut sit most among their own label: a model
  // that learned a shortcut for a class may not separate the class's shape in the layer its head reads, while a
  // lower layer still does (measured on the labels given, never on any truth).
  let best = 0;
  let bestScore = -1;
  vectors.forEach((vs, li) => {
    let sum = 0;
    for (const i of clean) sum += agreementAt(vs, i);
    const score = clean.size > 0 ? sum / clean.size : 0;
    if (score > bestScore + 1e-12) {
      best = li;
      bestScore = score;
    }
  });
  const wanted = new Set(labels);
  const agreement = new Map<number, number>();
  scan.images.forEach((im, i) => {
    if (wanted.has(im.label)) agreement.set(i, agreementAt(vectors[best], i));
  });
  return { agreement, layer: layers[best].name };
}

/**
 * Sorting the suspects of confident learning into label errors and shortcut mistakes (pure).
 *
 * - A suspect the model predicts as class k, on which a shortcut group of k is present, is a **shortcut mistake**
 *   when occluding that group's evidence gives back its label: the label was right, the model was fooled. When
 *   several shortcuts are present, the one whose occlusion leaves the label most probable is named.
 * - When occluding the shortcut moves the prediction off k but to a third class, the model was fooled *and* the
 *   label contradicts its shortcut-free opinion: the image is listed in both lists (`alsoLabelError`), the label
 *   error suggesting the shortcut-free prediction (e.g. a marked square filed under circle, predicted triangle).
 * - Every other suspect is a **label error**. Where a shortcut was present, its ranking uses the probabilities
 *   with the shortcut occluded (the model's opinion without the shortcut) and the suggested class is the
 *   prediction then; otherwise confident learning's own numbers are kept.
 * - Label errors are ranked by `score = reliability * (1 - min(1, p(label) / t(label)))`, highest first, where
 *   `p(label) / t(label)` is confident learning's threshold-adjusted self-confidence. `reliability` is 1 except
 *   for images labelled as a class whose predictions hang on a shortcut, when the shortcut is absent from the
 *   image and the model recognises fewer than half of such images (`reliabilities` holds only those classes).
 *   Confident learning assumes the model recognises most images of each label (noise below one half); where it
 *   cannot recognise the class without its shortcut, calling such an image j is partly the model's habit, and
 *   the weight is 1 - the share of those images it calls j (measured). When the representation is given
 *   (`neighbourAgreement`: the share of the image's nearest neighbours, in the layer the head reads, that carry
 *   its label), such an image is judged by it instead (score = 1 - agreement): the shortcut lives in the head's
 *   weights, the features still place the image among its kind (deep k-NN for noisy labels, Bahri et al. 2020). Ties keep confident learning's order, so with no
 *   shortcut found the list is confident learning's list in its order.
 */
import type { LabelIssues } from '../data/confident';
import { argmax } from '../util/probs';

export interface AuditImage {
  path: string;
  label: number;
  pred: number;
  probs: ArrayLike<number>;
}

export interface ShortcutRef {
  /** Index into the shortcut list. */
  index: number;
  /** The analysed class the shortcut fools the model into. */
  class: number;
}

/** An occlusion of a shortcut's evidence on one image, and the probabilities after it. */
export interface Occlusion {
  shortcut: number;
  /** The shortcut's evidence box (input pixels). */
  box: [number, number, number, number];
  /** The box actually filled (the evidence box or its tightest part that does the same; default `box`). */
  occluded?: [number, number, number, number];
  probs: ArrayLike<number>;
}

/** For a class with shortcuts: what the model predicts on the images labelled as it that lack the shortcuts. */
export interface ClassReliability {
  class: number;
  /** Images labelled as the class (among those examined) with no shortcut of the class present. */
  without: number;
  /** How many of them the model predicts as each class (index = class). */
  predicted: number[];
  /** predicted[class] / without. */
  recall: number;
}

export interface LabelErrorEntry {
  image: number;
  path: string;
  label: number;
  suggested: number;
  score: number;
  /** p(label) / t(label) used for the score (with the shortcut occluded where one was present). */
  adjusted: number;
  reliability: number;
  /** The shortcut whose evidence was occluded before judging, if any. */
  shortcut?: number;
  /** One sentence: what decided it. */
  why: string;
}

export interface ShortcutMistakeEntry {
  image: number;
  path: string;
  label: number;
  predicted: number;
  shortcut: number;
  /** The shortcut's evidence box on the image (input pixels). */
  box: [number, number, number, number];
  /** The part of it that was occluded (the whole box or a tighter part doing the same). */
  occluded: [number, number, number, number];
  /** p(label) before and after occluding the shortcut's evidence. */
  labelProbBefore: number;
  labelProbAfter: number;
  /** Occluding the shortcut moves the prediction, but not to the label: the image is listed as a label error too. */
  alsoLabelError: boolean;
  why: string;
}

export interface Classified {
  labelErrors: LabelErrorEntry[];
  shortcutMistakes: ShortcutMistakeEntry[];
}

const argmaxOf = (p: ArrayLike<number>): number => argmax(p, 0, p.length);

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function classifySuspects(
  images: readonly AuditImage[],
  issues: LabelIssues,
  names: readonly string[],
  occlusions: ReadonlyMap<number, readonly Occlusion[]>,
  reliabilities: readonly ClassReliability[],
  shortcutPresent: (image: number, cls: number) => boolean,
  shortcutName: (index: number) => string,
  neighbourAgreement?: (image: number) => number | undefined,
): Classified {
  const name = (c: number) => names[c] ?? `class ${c}`;
  const reliability = new Map(reliabilities.map((r) => [r.class, r]));
  const labelErrors: (LabelErrorEntry & { rank: number })[] = [];
  const shortcutMistakes: ShortcutMistakeEntry[] = [];
  issues.suspects.forEach((s, rank) => {
    const im = images[s.image];
    const t = issues.thresholds[s.label];
    const adjust = (p: number) => (t !== null && t > 0 ? p / t : p);
    const occ = occlusions.get(s.image) ?? [];
    if (occ.length > 0) {
      // The label is judged under the shortcut-free view most favourable to it (benefit of the doubt: a box that
      // also clips the object must not make a right label look wrong).
      const restore = occ.reduce((b, o) => (o.probs[s.label] > b.probs[s.label] ? o : b), occ[0]);
      // Whether the shortcut made the prediction: the removal with the largest drop of the predicted class.
      const clean = occ.reduce((b, o) => (o.probs[im.pred] < b.probs[im.pred] ? o : b), occ[0]);
      const restored = argmaxOf(restore.probs) === s.label;
      const moved = argmaxOf(clean.probs);
      if (restored || moved !== im.pred) {
        const o = restored ? restore : clean;
        const suggested = moved;
        shortcutMistakes.push({
          image: s.image,
          path: im.path,
          label: s.label,
          predicted: im.pred,
          shortcut: o.shortcut,
          box: o.box,
          occluded: o.occluded ?? o.box,
          labelProbBefore: im.probs[s.label],
          labelProbAfter: o.probs[s.label],
          alsoLabelError: !restored,
          why: restored
            ? `occluding the evidence of ${shortcutName(o.shortcut)} turns ${name(im.pred)} ${pct(im.probs[im.pred])} into ${name(s.label)} ${pct(o.probs[s.label])}: the label is right, the model was fooled`
            : `occluding the evidence of ${shortcutName(o.shortcut)} turns ${name(im.pred)} ${pct(im.probs[im.pred])} into ${name(suggested)} ${pct(o.probs[suggested])}, not the label ${name(s.label)}: fooled by the shortcut and mislabelled`,
        });
        if (restored) return;
      }
      const adjusted = adjust(restore.probs[s.label]);
      const suggested = argmaxOf(restore.probs);
      labelErrors.push({
        image: s.image,
        path: im.path,
        label: s.label,
        suggested: suggested === s.label ? s.proposed : suggested,
        score: 1 - Math.min(1, adjusted),
        adjusted,
        reliability: 1,
        shortcut: restore.shortcut,
        rank,
        why: `with the evidence of ${shortcutName(restore.shortcut)} occluded the model says ${name(suggested)} ${pct(restore.probs[suggested])}, ${name(s.label)} ${pct(restore.probs[s.label])}`,
      });
      return;
    }
    const rel = reliability.get(s.label);
    const unreliable = rel !== undefined && !shortcutPresent(s.image, s.label);
    const agree = unreliable ? neighbourAgreement?.(s.image) : undefined;
    if (agree !== undefined) {
      // The head cannot be trusted here; the representation can: how many of the image's nearest neighbours
      // carry its label (deep k-NN, Bahri et al. 2020).
      labelErrors.push({
        image: s.image,
        path: im.path,
        label: s.label,
        suggested: s.proposed,
        score: 1 - agree,
        adjusted: s.adjusted,
        reliability: 1 - agree,
        rank,
        why: `the model needs its shortcut to recognise ${name(s.label)} (${pct(rel!.recall)} of such images without it); in its representation ${pct(agree)} of the image's nearest neighbours are labelled ${name(s.label)}`,
      });
      return;
    }
    // Where the model does not recognise the label's class without its shortcut, a prediction of class j weighs
    // as much as j is unusual there: 1 - the share of those images it predicts as j.
    const habit = unreliable && rel!.without > 0 ? rel!.predicted[s.proposed] / rel!.without : 0;
    const r = 1 - habit;
    const adjusted = s.adjusted;
    labelErrors.push({
      image: s.image,
      path: im.path,
      label: s.label,
      suggested: s.proposed,
      score: r * (1 - Math.min(1, adjusted)),
      adjusted,
      reliability: r,
      rank,
      why: unreliable
        ? `the model says ${name(s.proposed)} ${pct(im.probs[s.proposed])}; without its shortcut it recognises ${name(s.label)} on ${pct(rel!.recall)} of the images labelled so and calls ${pct(habit)} of them ${name(s.proposed)} (weight ${r.toFixed(2)})`
        : `the model says ${name(s.proposed)} ${pct(im.probs[s.proposed])}, ${name(s.label)} ${pct(im.probs[s.label])} (${adjusted.toFixed(2)} of its usual confidence for ${name(s.label)})`,
    });
  });
  labelErrors.sort((a, b) => b.score - a.score || a.rank - b.rank);
  return { labelErrors: labelErrors.map(({ rank: _rank, ...e }) => e), shortcutMistakes };
}

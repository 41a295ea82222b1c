/**
 * The shortcut finder's decision for one neuron group of a class analysis (pure; the numbers come from
 * `evidence.ts` and measured occlusions). Over the images the model predicts as the class and on which the
 * group is present, a group is a *shortcut* when all of these hold:
 *
 * 1. **Cross-class**: it is present on images labelled as at least two classes (the analysed class and another),
 *    each with at least `MIN_IMAGES` images and `MIN_SHARE` of them. A part of the object is present on images of
 *    the object's class only (up to label noise).
 * 2. **Small**: its evidence is local: on the median image the tightest evidence is below the whole image, and
 *    the union of the evidence crops at that granularity covers at most `MAX_COVERAGE` of the image.
 * 3. **Alike**: its evidence looks the same whatever the label: the mean cosine similarity of the evidence
 *    crops' layer vectors between images of different labels, centred on the mean crop of the layer, is at least
 *    `MIN_ALIKE` (the same pattern, not merely "some texture").
 * 4. **Measured**: removing its evidence (occluding the evidence box, see occlude.ts) moves the prediction of
 *    the images labelled as another class back to their label on at least half of them (`MIN_FLIP`). This is the
 *    test that matters: a group that is present on several classes but does not decide the prediction is no
 *    shortcut, however alike its evidence.
 *
 * The thresholds are fractions with a meaning (a majority, a quarter of the image, a positive majority of
 * shared direction), not values fitted to a dataset.
 */

export const MIN_IMAGES = 2;
export const MIN_SHARE = 0.05;
export const MAX_COVERAGE = 0.25;
export const MIN_ALIKE = 0.5;
export const MIN_FLIP = 0.5;

export interface GroupImage {
  /** Given label of the image. */
  label: number;
  /** Granularity and coverage of the tightest evidence. */
  granularity: number;
  coverage: number;
  /** Evidence crop vector minus the layer's mean crop. */
  centred: Float32Array;
  /** Prediction after occluding the evidence (undefined when not measured: images labelled as the class). */
  occludedPred?: number;
}

export interface GroupVerdict {
  /** Images predicted as the class on which the group is present. */
  present: number;
  /** Present images per given label. */
  byLabel: number[];
  /** Labels (class indices) the group spans. */
  classesSpanned: number[];
  medianCoverage: number;
  medianGranularity: number;
  /** Mean centred cosine similarity of the evidence between images of different labels (NaN: no such pair). */
  alike: number;
  /** Images labelled as another class whose evidence was occluded, and how many went back to their label. */
  measured: number;
  flippedToLabel: number;
  /** flippedToLabel / measured (0 when none was measured). */
  flipRate: number;
  shortcut: boolean;
  /** Why not (empty for a shortcut). */
  reasons: string[];
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
}

/** Mean cosine over pairs of images with different labels (at most `maxPairs`, taken in a fixed order). */
export function crossLabelSimilarity(images: readonly GroupImage[], maxPairs = 4000): number {
  let s = 0;
  let n = 0;
  for (let a = 0; a < images.length && n < maxPairs; a++) {
    for (let b = a + 1; b < images.length && n < maxPairs; b++) {
      if (images[a].label === images[b].label) continue;
      s += cosine(images[a].centred, images[b].centred);
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}

/** The verdict on one group of class `cls` from the images (predicted `cls`) on which it is present. */
export function judgeGroup(cls: number, classes: number, images: readonly GroupImage[]): GroupVerdict {
  const byLabel = new Array<number>(classes).fill(0);
  for (const im of images) if (im.label >= 0 && im.label < classes) byLabel[im.label]++;
  const classesSpanned = byLabel.flatMap((n, c) => (n >= MIN_IMAGES && n >= MIN_SHARE * images.length ? [c] : []));
  const medianCoverage = median(images.map((im) => im.coverage));
  const medianGranularity = median(images.map((im) => im.granularity));
  const alike = crossLabelSimilarity(images);
  const measuredImages = images.filter((im) => im.label !== cls && im.occludedPred !== undefined);
  const flippedToLabel = measuredImages.filter((im) => im.occludedPred === im.label).length;
  const flipRate = measuredImages.length > 0 ? flippedToLabel / measuredImages.length : 0;
  const reasons: string[] = [];
  if (!(classesSpanned.length >= 2 && classesSpanned.some((c) => c !== cls))) reasons.push('present on one class only');
  if (!(medianGranularity < 1 && medianCoverage <= MAX_COVERAGE)) reasons.push('evidence not small');
  if (!(alike >= MIN_ALIKE)) reasons.push('evidence not alike across labels');
  if (!(measuredImages.length >= MIN_IMAGES && flipRate >= MIN_FLIP)) reasons.push('occluding it does not move predictions back to their labels');
  return {
    present: images.length,
    byLabel,
    classesSpanned,
    medianCoverage,
    medianGranularity,
    alike,
    measured: measuredImages.length,
    flippedToLabel,
    flipRate,
    shortcut: reasons.length === 0,
    reasons,
  };
}

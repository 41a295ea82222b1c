/** Classification metrics over (label, prediction, probabilities) triples: plain numbers, JSON-ready. */

export interface ClassStats {
  /** Images labelled with the class. */
  support: number;
  /** Images predicted as the class. */
  predicted: number;
  correct: number;
  /** correct / predicted; null when nothing is predicted as the class. */
  precision: number | null;
  /** correct / support; null when no image is labelled with the class. */
  recall: number | null;
}

/** An image in a ranked list: its index in the scan's `images`, and the probability the ranking uses. */
export interface RankedImage {
  image: number;
  confidence: number;
}

export interface ClassMistakes {
  /** Predicted as the class but labelled otherwise, most confident first (confidence = p of this class). */
  falsePositives: RankedImage[];
  /** Labelled as the class but predicted otherwise, most confident first (confidence = p of the predicted class). */
  falseNegatives: RankedImage[];
}

/** confusion[label][pred] over `k` classes. */
export function confusionMatrix(labels: readonly number[], preds: readonly number[], k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  labels.forEach((l, i) => m[l][preds[i]]++);
  return m;
}

export function classStats(confusion: number[][]): ClassStats[] {
  const k = confusion.length;
  return confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += confusion[r][c];
    const correct = row[c];
    return { support, predicted, correct, precision: predicted > 0 ? correct / predicted : null, recall: support > 0 ? correct / support : null };
  });
}

function ranked(list: RankedImage[]): RankedImage[] {
  return list.sort((a, b) => b.confidence - a.confidence || a.image - b.image);
}

/** Per class, the false positives and false negatives ranked by the model's confidence in its wrong answer. */
export function classMistakes(labels: readonly number[], preds: readonly number[], probs: Float64Array, k: number): ClassMistakes[] {
  const out: ClassMistakes[] = Array.from({ length: k }, () => ({ falsePositives: [], falseNegatives: [] }));
  labels.forEach((l, i) => {
    const p = preds[i];
    if (p === l) return;
    const confidence = probs[i * k + p];
    out[p].falsePositives.push({ image: i, confidence });
    out[l].falseNegatives.push({ image: i, confidence });
  });
  for (const m of out) {
    ranked(m.falsePositives);
    ranked(m.falseNegatives);
  }
  return out;
}

/** All misclassified images, most confident first. */
export function misclassified(labels: readonly number[], preds: readonly number[], probs: Float64Array, k: number): RankedImage[] {
  const list: RankedImage[] = [];
  labels.forEach((l, i) => {
    if (preds[i] !== l) list.push({ image: i, confidence: probs[i * k + preds[i]] });
  });
  return ranked(list);
}

/**
 * The label check: the model sees the label and a shuffled mix of the group's crops (preferably ones it was not
 * shown when labelling) and other groups' crops, and says which match. The share of crops it classifies right
 * (matches that are the group's, non-matches that are not) is the label's confidence.
 */
import type { ResultDocument } from '../result/schema';
import { allGroups, findGroup, groupCrops, withThumbnails, type GroupRef } from './group-crops';
import type { CheckItem } from './prompt';
import { seededRandom } from '../util/random';

/** 32-bit FNV-1a of a string: the seed of a group's check, so the same group gets the same mix. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface CheckOptions {
  /** Crops of the group and other crops in the mix (default 4 each). */
  groupCrops?: number;
  otherCrops?: number;
  /** Crops the labelling request showed: the check prefers the group's other crops. */
  shown?: readonly number[];
  /** Seed of the shuffle (default: a hash of the result key, layer and group). */
  seed?: number;
}

/**
 * The check's crops, shuffled. Other crops come from the other groups of the same layer (round robin, most
 * representative first), then from other layers, never a crop of the group itself. Undefined when fewer than two
 * crops of either kind have thumbnails (no meaningful check).
 */
export function buildCheck(doc: ResultDocument, ref: GroupRef, options: CheckOptions = {}): CheckItem[] | undefined {
  const { layer } = findGroup(doc, ref);
  const nGroup = options.groupCrops ?? 4;
  const nOther = options.otherCrops ?? 4;
  const own = groupCrops(doc, ref);
  const ownSet = new Set([...own.all, ...own.ranked]);
  const shown = new Set(options.shown ?? []);
  const ranked = withThumbnails(doc, own.ranked);
  const mine = [...ranked.filter((c) => !shown.has(c)), ...ranked.filter((c) => shown.has(c))].slice(0, nGroup);
  const others = allGroups(doc).filter((g) => !(g.layer === ref.layer && g.group === ref.group));
  const sameLayer = others.filter((g) => g.layer === layer.name);
  const otherLayers = others.filter((g) => g.layer !== layer.name);
  const pool: number[] = [];
  const seen = new Set<number>();
  for (const set of [sameLayer, otherLayers]) {
    const lists = set.map((g) => withThumbnails(doc, groupCrops(doc, g).ranked).filter((c) => !ownSet.has(c)));
    for (let k = 0; pool.length < nOther && lists.some((l) => k < l.length); k++) {
      for (const l of lists) {
        if (k < l.length && !seen.has(l[k]) && pool.length < nOther) {
          seen.add(l[k]);
          pool.push(l[k]);
        }
      }
    }
  }
  if (mine.length < 2 || pool.length < 2) return undefined;
  const seed = options.seed ?? hashSeed(`${doc.key}|${ref.layer}|${ref.group}`);
  return shuffled([...mine.map((crop) => ({ crop, fromGroup: true })), ...pool.map((crop) => ({ crop, fromGroup: false }))], seededRandom(seed));
}

export interface CheckScore {
  /** Crops classified right: chosen and the group's, or not chosen and not the group's. */
  correct: number;
  total: number;
  /** correct / total. */
  confidence: number;
  /** Of the group's crops, how many were chosen; of the others, how many were chosen. */
  hits: number;
  falseAlarms: number;
}

/** Scores the model's choice (0-based indices into `items`). */
export function scoreCheck(items: readonly CheckItem[], chosen: readonly number[]): CheckScore {
  const picked = new Set(chosen);
  let correct = 0,
    hits = 0,
    falseAlarms = 0;
  items.forEach((it, i) => {
    const says = picked.has(i);
    if (says === it.fromGroup) correct++;
    if (says && it.fromGroup) hits++;
    if (says && !it.fromGroup) falseAlarms++;
  });
  return { correct, total: items.length, confidence: items.length ? correct / items.length : 0, hits, falseAlarms };
}

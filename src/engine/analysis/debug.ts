/**
 * Image debugging (docs/design.md 3.3 step 7), the authors' `debug_img` as a pure function of the crops' channel-mean
 * activations at the layer: per group, a log-barrier score per crop, the group's score exp(max), and its evidence
 * crops (log-barrier >= log(threshold)).
 */
import { UsageError } from '../errors';
import type { Points } from './cluster';

/** One (neuron, sub-concept) pair of the layer with its group (-1: left out, e.g. not a representative). */
export interface DebugPair {
  neuron: number;
  /** Mean activation of the neuron over the sub-concept's crops. */
  activation: number;
  group: number;
}

export interface GroupDebug {
  group: number;
  /** exp(max log-barrier over the crops). */
  score: number;
  maxLogBarrier: number;
  /** Crop with the highest log-barrier (first on ties). */
  bestCrop: number;
  /** Crops with log-barrier >= log(threshold), in crop order. */
  evidence: number[];
  /** Log-barrier of every crop. */
  logBarrier: number[];
}

const EPS = 1e-6;

/**
 * Scores of every group that has at least one pair. A group's neurons are listed once per pair (a neuron with
 * two sub-concepts in the group counts twice, as the authors' code does); each neuron's reference value is the
 * mean activation over its pairs in the group.
 */
export function debugGroups(cropActivations: Points, pairs: readonly DebugPair[], threshold: number): GroupDebug[] {
  if (!(threshold > 0)) throw new UsageError(`debug threshold ${threshold}: must be > 0`);
  const byGroup = new Map<number, DebugPair[]>();
  for (const p of pairs) {
    if (p.group < 0) continue;
    const list = byGroup.get(p.group) ?? [];
    list.push(p);
    byGroup.set(p.group, list);
  }
  const logT = Math.log(threshold);
  const out: GroupDebug[] = [];
  for (const group of [...byGroup.keys()].sort((a, b) => a - b)) {
    const members = byGroup.get(group)!;
    const sums = new Map<number, { s: number; n: number }>();
    for (const p of members) {
      const e = sums.get(p.neuron) ?? { s: 0, n: 0 };
      e.s += p.activation;
      e.n++;
      sums.set(p.neuron, e);
    }
    const neurons = members.map((p) => p.neuron);
    const scale = neurons.map((n) => {
      const e = sums.get(n)!;
      return Math.abs(e.s / e.n) + EPS;
    });
    const logBarrier = Array.from(cropActivations, (acts) => {
      let s = 0;
      neurons.forEach((n, k) => {
        s += Math.log(Math.max(acts[n], 0) / scale[k] + EPS);
      });
      return s / neurons.length;
    });
    let best = 0;
    logBarrier.forEach((v, i) => {
      if (v > logBarrier[best]) best = i;
    });
    out.push({
      group,
      score: Math.exp(logBarrier[best]),
      maxLogBarrier: logBarrier[best],
      bestCrop: best,
      evidence: logBarrier.flatMap((v, i) => (v >= logT ? [i] : [])),
      logBarrier,
    });
  }
  return out;
}

/** Groups ranked by score, highest first (ties by group index). */
export function rankGroups(results: readonly GroupDebug[]): GroupDebug[] {
  return [...results].sort((a, b) => b.score - a.score || a.group - b.group);
}

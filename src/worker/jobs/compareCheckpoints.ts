/**
 * `compareCheckpoints`: Compare with previous checkpoint (docs/design.md 7). Two exports of the same model at two
 * pauses (the weights changed in between, e.g. a new epoch) run on the same batch; at every analysed layer the
 * channel means of both are compared, and the change is summarised per neuron group of the previous checkpoint's
 * analyses (their groups are what the user saw): the mean relative change of the group's channels, largest first.
 * Layers without an analysis are summarised as a whole. A full circuit diff is another matter.
 */
import { readNpyFile } from '../../engine/io/npy-file';
import { ModelError } from '../../engine/errors';
import { toModelBatch } from '../../engine/data/batch-layout';
import { groupNeurons } from '../../engine/analysis/groups';
import { computeActivations, type Tensor } from '../../engine/onnx/activations';
import { restoreViews } from '../../engine/onnx/channels-first';
import { detectLayers } from '../../engine/onnx/layers';
import { loadModel } from '../../engine/onnx/model';
import { inferShapes } from '../../engine/onnx/shapes';
import { readResult } from '../../engine/result/store';
import type { CheckpointComparison, CompareCheckpointsParams, GroupChange } from '../../protocol/batch';
import { throwIfCancelled, type JobContext } from '../job';

/**
 * Per channel, mean over samples of |now - before| divided by the mean of |before| (plus 1e-3 of the layer's mean
 * magnitude, so a silent channel that wakes up does not divide by zero).
 */
export function channelChanges(before: Tensor, now: Tensor): Float64Array {
  const [n, c] = before.dims;
  const diff = new Float64Array(c),
    mag = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      diff[j] += Math.abs(now.data[i * c + j] - before.data[i * c + j]) / n;
      mag[j] += Math.abs(before.data[i * c + j]) / n;
    }
  }
  const eps = Math.max(1e-6, 1e-3 * (mag.reduce((a, b) => a + b, 0) / Math.max(1, c)));
  return diff.map((d, j) => d / (mag[j] + eps));
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export async function compareCheckpoints(params: CompareCheckpointsParams, ctx: JobContext): Promise<CheckpointComparison> {
  ctx.progress('Reading both checkpoints');
  const before = await loadModel(params.previous);
  const now = await loadModel(params.current);
  const docs = params.results.map((f) => readResult(f)).filter((d) => d.model.sha256 === before.sha256);
  const beforeShapes = await inferShapes(before);
  const nowShapes = await inferShapes(now);
  // The layers: those the analyses grouped, else every detected layer below the logits.
  const named = new Map<string, string>();
  for (const d of docs) for (const l of d.layers) if (l.grouping) named.set(l.tensor, l.name);
  if (named.size === 0) for (const l of detectLayers(before, beforeShapes).slice(0, -1)) named.set(l.tensor, l.name);
  const tensors = [...named.keys()];
  restoreViews(before, tensors, beforeShapes);
  restoreViews(now, tensors, nowShapes);
  for (const t of tensors) {
    if (!nowShapes.has(t)) {
      throw new ModelError(`${params.current} has no tensor ${t} (layer ${named.get(t)}): the two checkpoints are not the same architecture`);
    }
  }
  const spec = { channels: before.input.channels, height: before.input.height, width: before.input.width };
  const batch = toModelBatch(readNpyFile(params.images), spec, params.images);
  const input = { data: batch.data, dims: batch.dims };
  ctx.progress(`Running both checkpoints on ${batch.dims[0]} samples`);
  const opts = { provider: params.provider, threads: params.threads, signal: ctx.signal };
  const a = await computeActivations(before, input, { means: tensors, logits: true }, opts);
  throwIfCancelled(ctx.signal, 'Compare with previous checkpoint');
  const b = await computeActivations(now, input, { means: tensors, logits: true }, opts);
  const change = new Map(tensors.map((t) => [t, channelChanges(a.means.get(t)!, b.means.get(t)!)]));
  const groups: GroupChange[] = [];
  for (const d of docs) {
    for (const l of d.layers) {
      if (!l.grouping) continue;
      const ch = change.get(l.tensor)!;
      groupNeurons(l.grouping).forEach((channels, gi) => {
        groups.push({ layer: l.name, group: `G${gi}`, className: d.class.name, channels, activationChange: mean(channels.map((c) => ch[c])) });
      });
    }
  }
  const layers = tensors.map((t) => ({ layer: named.get(t)!, activationChange: mean([...change.get(t)!]), channels: change.get(t)!.length }));
  if (docs.length === 0) {
    for (const l of layers) {
      const ch = [...change.get(tensors[layers.indexOf(l)])!];
      const top = [...ch.keys()].sort((x, y) => ch[y] - ch[x]).slice(0, Math.max(1, Math.ceil(ch.length / 8)));
      groups.push({ layer: l.layer, group: 'top channels', channels: top.sort((x, y) => x - y), activationChange: mean(top.map((c) => ch[c])) });
    }
  }
  groups.sort((x, y) => y.activationChange - x.activationChange);
  const la = a.logits!,
    lb = b.logits!;
  const n = batch.dims[0],
    k = la.dims[1];
  let same = 0;
  for (let i = 0; i < n; i++) {
    let x = 0,
      y = 0;
    for (let j = 1; j < k; j++) {
      if (la.data[i * k + j] > la.data[i * k + x]) x = j;
      if (lb.data[i * k + j] > lb.data[i * k + y]) y = j;
    }
    if (x === y) same++;
  }
  return { previous: params.previous, current: params.current, groups, layers, agreement: same / n, batchSize: n };
}

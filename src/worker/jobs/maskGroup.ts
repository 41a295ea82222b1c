/**
 * `maskGroup`: the model re-run on one image with a group's channels zeroed at its layer (docs/design.md 3.3 step 8):
 * the class probability before and after, and the top predictions before and after.
 */
import { maskEffect } from '../../engine/analysis/mask';
import { UsageError } from '../../engine/errors';
import type { MaskGroupParams, MaskOutcome } from '../../protocol/analysis';
import type { ClassProb } from '../../protocol/batch';
import type { JobContext } from '../job';
import { openResult } from '../results';

export async function maskGroup(params: MaskGroupParams, ctx: JobContext): Promise<MaskOutcome> {
  const { doc, model } = openResult(params.result, params.provider, params.threads);
  const layer = doc.layers.find((l) => l.name === params.layer);
  if (!layer) throw new UsageError(`${params.result}: layer ${params.layer} is not in this result (layers: ${doc.layers.map((l) => l.name).join(', ')})`);
  const width = layer.shape[0];
  const bad = params.channels.find((c) => !Number.isInteger(c) || c < 0 || c >= width);
  if (bad !== undefined) throw new UsageError(`mask group: channel ${bad} is not a channel of layer ${layer.name} (0..${width - 1})`);
  ctx.progress(`Masking ${params.channels.length} channels of ${layer.name}`);
  const rm = await model;
  const [image] = await rm.load([params.image]);
  const [h, w] = rm.preprocessing.size;
  const effect = await maskEffect(rm.backend, { data: image, dims: [1, rm.preprocessing.channels, h, w] }, layer.tensor, params.channels, params.classIndex, 3);
  const named = (list: { class: number; prob: number }[]): ClassProb[] =>
    list.map((p) => ({ class: p.class, name: doc.model.labels[p.class] ?? `class ${p.class}`, prob: p.prob }));
  const [one] = effect.images;
  return { before: one.before, after: one.after, topBefore: named(one.topBefore), top: named(one.top) };
}

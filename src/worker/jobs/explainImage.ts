/**
 * `explainImage`: one image against a saved result at one layer (docs/design.md 3.3 step 7): every group's score on
 * the image, its evidence crops and best crop, highest first, and the model's top predictions on the image.
 */
import { debugImages } from '../../engine/analysis/debug-image';
import { topPredictions } from '../../engine/analysis/mask';
import { softmax } from '../../engine/util/probs';
import { UsageError } from '../../engine/errors';
import type { ExplainImageParams, ImageExplanation } from '../../protocol/analysis';
import type { ClassProb } from '../../protocol/batch';
import type { JobContext } from '../job';
import { openResult } from '../results';

type Box = [number, number, number, number];
const area = (b: readonly number[]) => (b[2] - b[0]) * (b[3] - b[1]);

export async function explainImage(params: ExplainImageParams, ctx: JobContext): Promise<ImageExplanation> {
  const { doc, model } = openResult(params.result, params.provider, params.threads);
  const layer = doc.layers.find((l) => l.name === params.layer);
  if (!layer) throw new UsageError(`${params.result}: layer ${params.layer} is not in this result (layers: ${doc.layers.map((l) => l.name).join(', ')})`);
  ctx.progress(`Explaining ${params.image} at ${params.layer}`);
  const rm = await model;
  const [image] = await rm.load([params.image]);
  const [height, width] = rm.preprocessing.size;
  const channels = rm.preprocessing.channels;
  const threshold = params.threshold ?? doc.params.debugThreshold;
  const [debug] = await debugImages(
    rm.backend,
    doc,
    [image],
    channels,
    { height, width },
    {
      layer: params.layer,
      groups: params.groupCount,
      threshold,
      signal: ctx.signal,
    },
  );
  const logits = await rm.backend.maskedLogits({ data: image, dims: [1, channels, height, width] }, layer.tensor, [], ctx.signal);
  const probs = softmax(logits.data, 0, logits.dims[1]);
  const top: ClassProb[] = topPredictions(probs, 3).map((p) => ({ class: p.class, name: doc.model.labels[p.class] ?? `class ${p.class}`, prob: p.prob }));
  return {
    layer: params.layer,
    groupCount: debug.grouping.count,
    threshold,
    groups: debug.ranked.map((r) => ({
      group: r.group,
      score: r.score,
      // Smallest first: the tightest crops say most about where the concept is.
      evidence: r.evidence.map((c) => [...debug.crops[c].box] as Box).sort((a, b) => area(a) - area(b)),
      bestBox: [...debug.crops[r.bestCrop].box] as Box,
    })),
    top,
  };
}

/**
 * `regroup`: keeps the group count the user set with a layer's slider: the saved result re-grouped at that
 * count (no model run; null goes back to the silhouette's choice) and written back atomically, so a reopen
 * shows the same groups.
 */
import { regroupDocument } from '../../engine/analysis/regroup';
import { readResult, writeResult } from '../../engine/result/store';
import type { RegroupParams } from '../../protocol/analysis';
import type { JobContext } from '../job';

export async function regroup(params: RegroupParams, ctx: JobContext): Promise<{ groupCount: number }> {
  ctx.progress(`Re-grouping ${params.layer}`);
  const doc = regroupDocument(readResult(params.result), params.layer, params.count ?? undefined);
  writeResult(params.result, doc);
  return { groupCount: doc.layers.find((l) => l.name === params.layer)!.grouping!.count };
}

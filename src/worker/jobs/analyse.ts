/**
 * `analyse`: the NeurFlow analysis of one class (engine `analyseClass`), with the scan the class picker made
 * (no second pass over the dataset), progress per stage and neuron, and the result saved in the store. A
 * cancel keeps the finished layers: the result comes back with `complete: false` and is saved as
 * `<key>.partial.neurflow-result.json` (the store only reuses complete results). The full scan is saved beside
 * the result for the Mistakes view.
 */
import * as path from 'node:path';
import { analyseClass } from '../../engine/analysis/job';
import { writeResult } from '../../engine/result/store';
import type { AnalyseOutcome, AnalyseParams } from '../../protocol/analysis';
import type { JobContext } from '../job';
import { writeScan } from '../../engine/data/scan-file';
import { scanFor } from '../scans';

export async function analyse(params: AnalyseParams, ctx: JobContext): Promise<AnalyseOutcome> {
  const { scan } = await scanFor(params, ctx);
  const res = await analyseClass({
    model: params.model,
    data: params.data,
    class: params.classIndex,
    layers: params.layers,
    params: params.params,
    preprocessing: params.preprocessing,
    provider: params.provider,
    threads: params.threads,
    store: params.store,
    force: params.force,
    scan,
    signal: ctx.signal,
    onProgress: (e) => ctx.progress(e.message, e.done, e.total),
    onPartial: (doc) => ctx.partial?.(doc),
  });
  let file = res.file;
  if (!file) {
    file = path.join(params.store, `${res.doc.key}.partial.neurflow-result.json`);
    writeResult(file, res.doc);
  }
  writeScan(file, scan);
  return { doc: res.doc, scan, file, reused: res.reused };
}

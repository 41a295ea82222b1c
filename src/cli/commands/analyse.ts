/** `neurflow analyse MODEL --data DIR --class C`: the NeurFlow analysis of one class, written as a result file. */
import * as path from 'node:path';
import { parseCommandArgs } from '../args';
import type { CliCommand } from '../command';
import { UsageError } from '../../engine/errors';
import { analyseClass } from '../../engine/analysis/job';
import { progressPrinter, summariseResult } from './analysis-common';
import { ANALYSIS_FLAGS, ANALYSIS_USAGE, analysisOptions } from './analysis-flags';

const USAGE = `usage: neurflow analyse MODEL --data DIR|MANIFEST.csv --class NAME|INDEX [options]

Finds the neuron groups that carry a class and their circuit (NeurFlow): core neurons per layer from the top
down (Integrated Gradients, top tau), sub-concepts, groups, edge weights. Writes a .neurflow-result.json.

  --data PATH          ImageFolder or CSV manifest "path,label"
  --class C            class name or index to explain
${ANALYSIS_USAGE}
  --out FILE           result file (default: <model>.<class>.neurflow-result.json in the current folder)
  --store DIR          reuse a result from DIR when model, dataset and parameters are unchanged; save there
  --force              run even when a stored result matches
  --json               print the result document instead of the summary
Ctrl-C stops within a second and writes the layers finished so far (marked incomplete); it exits 130.
Files that cannot be read are skipped and listed (on stderr).`;

export const analyseCommand: CliCommand = {
  name: 'analyse',
  summary: 'find the neuron groups and circuit of a class (NeurFlow) and write a result file',
  usage: USAGE,
  cancellable: true,
  async run(args, signal = new AbortController().signal) {
    const parsed = parseCommandArgs(
      args,
      {
        ...ANALYSIS_FLAGS,
        data: { type: 'string' },
        class: { type: 'string' },
        out: { type: 'string' },
        store: { type: 'string' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      USAGE,
    );
    const v = parsed.values;
    const [model, ...extra] = parsed.positionals;
    if (!model || extra.length > 0) throw new UsageError(`expected one MODEL argument\n${USAGE}`);
    if (!v.data) throw new UsageError(`--data is required\n${USAGE}`);
    if (v.class === undefined) throw new UsageError(`--class is required\n${USAGE}`);
    const flags = analysisOptions(v, USAGE);
    const cls = /^\d+$/.test(v.class) ? Number(v.class) : v.class;
    const quiet = v.quiet || v.json;
    const stem = path.basename(model).replace(/\.onnx$/i, '');
    const out = v.out ?? `${stem}.${String(cls).replace(/[^\w.-]+/g, '_')}.neurflow-result.json`;
    let res: Awaited<ReturnType<typeof analyseClass>>;
    try {
      res = await analyseClass({
        model,
        data: v.data,
        class: cls,
        ...flags,
        store: v.store,
        force: v.force,
        out,
        onProgress: progressPrinter(quiet),
        signal,
      });
    } catch (e) {
      // Ctrl-C before the first layer finished (during loading, the shape probe or the scan): nothing to keep.
      if (signal.aborted) {
        console.error('  cancelled before any layer finished: nothing written');
        return 130;
      }
      throw e;
    }
    const skipped = res.scan?.skipped ?? [];
    if (skipped.length > 0) {
      console.error(
        `skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'} of ${v.data} (not counted in the ${res.scan!.images.length} images scanned):`,
      );
      for (const s of skipped.slice(0, 20)) console.error(`  ${s.path}: ${s.reason}`);
      if (skipped.length > 20) console.error(`  ... and ${skipped.length - 20} more`);
    }
    const written = res.doc.complete || res.doc.layers.length > 0;
    if (v.json) {
      console.log(JSON.stringify(res.doc));
    } else {
      console.log(summariseResult(res.doc));
      if (res.scan) console.log(`scanned ${res.scan.images.length} images${skipped.length > 0 ? ` (${skipped.length} skipped)` : ''}`);
      console.log(written ? `${res.reused ? 'reused stored result' : 'wrote'} ${path.resolve(out)}` : 'cancelled before any layer finished: nothing written');
    }
    return res.doc.complete && !signal.aborted ? 0 : 130;
  },
};

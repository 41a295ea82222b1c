/** `neurflow analyse MODEL --data DIR --class C`: the NeurFlow analysis of one class, written as a result file. */
import { usageLine } from '../../engine/params';
import * as path from 'node:path';
import { parseCommandArgs, positiveInt, positiveNumber } from '../args';
import type { CliCommand } from '../command';
import { UsageError } from '../../engine/errors';
import { analyseClass } from '../../engine/analysis/job';
import { PRESETS, type PresetName } from '../../engine/data/sidecar';
import type { ProviderSetting } from '../../engine/runtime/ort';
import type { AnalysisParams } from '../../engine/result/schema';
import { progressPrinter, summariseResult } from './analysis-common';

const USAGE = `usage: neurflow analyse MODEL --data DIR|MANIFEST.csv --class NAME|INDEX [options]

Finds the neuron groups that carry a class and their circuit (NeurFlow): core neurons per layer from the top
down (Integrated Gradients, top tau), sub-concepts, groups, edge weights. Writes a .neurflow-result.json.

  --data PATH          ImageFolder or CSV manifest "path,label"
  --class C            class name or index to explain
  --layers A,B,...     layer names or tensors, top first (default: the top layer + the last --blocks blocks)
${usageLine('blocks')}
  --labelled           use the images labelled as the class (default: those predicted as the class)
${usageLine('tau')}
${usageLine('topCrops')}
${usageLine('igSteps')}
  --exact              the paper's settings with no approximation (default: the fast analysis, whose IG runs
                       8 Gauss-Legendre nodes first and the full --ig-steps only where the completeness error or
                       the top-tau ranking is not settled; the result's "approximations" says what ran)
  --groups N           groups per layer (default: chosen by silhouette); or LAYER=N,LAYER=N
  --normalisation M    edge weights: correct (default) or reference (the authors' in-place rescaling)
  --out FILE           result file (default: <model>.<class>.neurflow-result.json in the current folder)
  --store DIR          reuse a result from DIR when model, dataset and parameters are unchanged; save there
  --force              run even when a stored result matches
  --preset NAME        preprocessing instead of the model's sidecar: imagenet or none
  --provider P         execution provider (default cpu; auto tries cuda, webgpu, then cpu)
  --threads N          onnxruntime intra-op threads
  --json               print the result document instead of the summary
  --quiet              no progress lines
Ctrl-C stops within a second and writes the layers finished so far (marked incomplete); it exits 130.
Files that cannot be read are skipped and listed (on stderr).`;

function groupCounts(value: string | undefined): Record<string, number> | number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const m = /^(.+)=(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`--groups: expected N or LAYER=N,... got '${value}'\n${USAGE}`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export const analyseCommand: CliCommand = {
  name: 'analyse',
  summary: 'find the neuron groups and circuit of a class (NeurFlow) and write a result file',
  usage: USAGE,
  cancellable: true,
  async run(args, signal = new AbortController().signal) {
    const parsed = parseCommandArgs(
      args,
      {
        data: { type: 'string' },
        class: { type: 'string' },
        layers: { type: 'string' },
        blocks: { type: 'string' },
        labelled: { type: 'boolean' },
        tau: { type: 'string' },
        'top-crops': { type: 'string' },
        'ig-steps': { type: 'string' },
        exact: { type: 'boolean' },
        groups: { type: 'string' },
        normalisation: { type: 'string' },
        out: { type: 'string' },
        store: { type: 'string' },
        force: { type: 'boolean' },
        preset: { type: 'string' },
        provider: { type: 'string' },
        threads: { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        threshold: { type: 'string' },
      },
      USAGE,
    );
    const v = parsed.values;
    const [model, ...extra] = parsed.positionals;
    if (!model || extra.length > 0) throw new UsageError(`expected one MODEL argument\n${USAGE}`);
    if (!v.data) throw new UsageError(`--data is required\n${USAGE}`);
    if (v.class === undefined) throw new UsageError(`--class is required\n${USAGE}`);
    if (v.normalisation && v.normalisation !== 'correct' && v.normalisation !== 'reference') {
      throw new UsageError(`--normalisation must be correct or reference, got '${v.normalisation}'`);
    }
    if (v.preset && !PRESETS.includes(v.preset as PresetName)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}`);
    const layers = v.layers
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const groups = groupCounts(v.groups);
    const params: Partial<AnalysisParams> = {
      selection: v.labelled ? 'labelled' : 'predicted',
      ...(v.tau ? { tau: positiveInt(v.tau, 'tau', USAGE) } : {}),
      ...(v['top-crops'] ? { topCrops: positiveInt(v['top-crops'], 'top-crops', USAGE) } : {}),
      ...(v['ig-steps'] ? { igSteps: positiveInt(v['ig-steps'], 'ig-steps', USAGE) } : {}),
      ...(v.exact ? { exact: true } : {}),
      ...(v.normalisation ? { normalisation: v.normalisation as AnalysisParams['normalisation'] } : {}),
      ...(v.threshold ? { debugThreshold: positiveNumber(v.threshold, 'threshold', USAGE) } : {}),
      ...(typeof groups === 'object' ? { groupCounts: groups } : {}),
    };
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
        layers,
        blocks: positiveInt(v.blocks, 'blocks', USAGE),
        params: typeof groups === 'number' ? { ...params, groupCounts: {} } : params,
        preprocessing: v.preset as PresetName | undefined,
        provider: v.provider as ProviderSetting | undefined,
        threads: positiveInt(v.threads, 'threads', USAGE),
        store: v.store,
        force: v.force,
        out,
        onProgress: progressPrinter(quiet),
        signal,
        groupsAll: typeof groups === 'number' ? groups : undefined,
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

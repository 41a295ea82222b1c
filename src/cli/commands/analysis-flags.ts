/**
 * The analysis flags that `neurflow analyse` and `neurflow atlas` share: their parseArgs options, their usage
 * lines, and their translation into the options of `analyseClass` (everything but the model, data, class and
 * output). One definition, so both commands accept and check the same flags the same way.
 */
import { usageLine } from '../../engine/params';
import { UsageError } from '../../engine/errors';
import type { AnalyseClassOptions } from '../../engine/analysis/job';
import { PRESETS, type PresetName } from '../../engine/data/sidecar';
import type { ProviderSetting } from '../../engine/runtime/ort';
import type { AnalysisParams } from '../../engine/result/schema';
import { positiveInt, positiveNumber } from '../args';

/** parseArgs options of the analysis flags. */
export const ANALYSIS_FLAGS = {
  layers: { type: 'string' },
  blocks: { type: 'string' },
  labelled: { type: 'boolean' },
  tau: { type: 'string' },
  'top-crops': { type: 'string' },
  'ig-steps': { type: 'string' },
  exact: { type: 'boolean' },
  groups: { type: 'string' },
  normalisation: { type: 'string' },
  threshold: { type: 'string' },
  preset: { type: 'string' },
  provider: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

/** Usage lines of the analysis flags (aligned with the commands' other lines). */
export const ANALYSIS_USAGE = `  --layers A,B,...     layer names or tensors, top first (default: the top layer + the last --blocks blocks)
${usageLine('blocks')}
  --labelled           use the images labelled as the class (default: those predicted as the class)
${usageLine('tau')}
${usageLine('topCrops')}
${usageLine('igSteps')}
  --exact              the paper's settings with no approximation (default: the fast analysis, whose IG runs
                       1, then 8 Gauss-Legendre nodes and the full --ig-steps only where the completeness error or
                       the top-tau ranking is not settled; the result's "approximations" says what ran)
  --groups N           groups per layer (default: chosen by silhouette); or LAYER=N,LAYER=N
  --normalisation M    edge weights: correct (default) or reference (the authors' in-place rescaling)
  --preset NAME        preprocessing instead of the model's sidecar: imagenet or none
  --provider P         execution provider (default cpu; auto tries cuda, webgpu, then cpu)
  --threads N          onnxruntime intra-op threads
  --quiet              no progress lines`;

/** The values parseArgs gives for ANALYSIS_FLAGS. */
export type AnalysisFlagValues = { [K in keyof typeof ANALYSIS_FLAGS]?: (typeof ANALYSIS_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

/** What the analysis flags set: the `analyseClass` options other than model, data, class, output and callbacks. */
export type AnalysisFlagOptions = Pick<AnalyseClassOptions, 'layers' | 'blocks' | 'params' | 'preprocessing' | 'provider' | 'threads' | 'groupsAll'>;

function groupCounts(value: string | undefined, usage: string): Record<string, number> | number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const m = /^(.+)=(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`--groups: expected N or LAYER=N,... got '${value}'\n${usage}`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Checks the analysis flags and turns them into `analyseClass` options; a bad value is a UsageError naming the flag. */
export function analysisOptions(v: AnalysisFlagValues, usage: string): AnalysisFlagOptions {
  if (v.normalisation && v.normalisation !== 'correct' && v.normalisation !== 'reference') {
    throw new UsageError(`--normalisation must be correct or reference, got '${v.normalisation}'`);
  }
  if (v.preset && !PRESETS.includes(v.preset as PresetName)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}`);
  const layers = v.layers
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const groups = groupCounts(v.groups, usage);
  const params: Partial<AnalysisParams> = {
    selection: v.labelled ? 'labelled' : 'predicted',
    ...(v.tau ? { tau: positiveInt(v.tau, 'tau', usage) } : {}),
    ...(v['top-crops'] ? { topCrops: positiveInt(v['top-crops'], 'top-crops', usage) } : {}),
    ...(v['ig-steps'] ? { igSteps: positiveInt(v['ig-steps'], 'ig-steps', usage) } : {}),
    ...(v.exact ? { exact: true } : {}),
    ...(v.normalisation ? { normalisation: v.normalisation as AnalysisParams['normalisation'] } : {}),
    ...(v.threshold ? { debugThreshold: positiveNumber(v.threshold, 'threshold', usage) } : {}),
    ...(typeof groups === 'object' ? { groupCounts: groups } : {}),
  };
  return {
    layers,
    blocks: positiveInt(v.blocks, 'blocks', usage),
    params: typeof groups === 'number' ? { ...params, groupCounts: {} } : params,
    preprocessing: v.preset as PresetName | undefined,
    provider: v.provider as ProviderSetting | undefined,
    threads: positiveInt(v.threads, 'threads', usage),
    groupsAll: typeof groups === 'number' ? groups : undefined,
  };
}

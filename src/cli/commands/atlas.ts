/**
 * `neurflow atlas MODEL --data DIR --out OUTDIR`: one NeurFlow analysis per class into a folder, split over the
 * tasks of a cluster job (Kubernetes Indexed Job, Slurm job array) and resumable; `neurflow atlas --index OUTDIR`
 * rewrites the folder's atlas.json.
 */
import * as path from 'node:path';
import { parseCommandArgs, positiveInt } from '../args';
import type { CliCommand } from '../command';
import { UsageError } from '../../engine/errors';
import { indexAtlas, runAtlas, type AtlasIndex } from '../../engine/atlas/atlas';
import { resolveShard } from '../../engine/atlas/shards';
import { progressPrinter, table } from './analysis-common';
import { ANALYSIS_FLAGS, ANALYSIS_USAGE, analysisOptions } from './analysis-flags';

const USAGE = `usage: neurflow atlas MODEL --data DIR|MANIFEST.csv --out OUTDIR [--classes all|C1,C2,...]
                      [--shards N] [--shard I] [analysis options]
       neurflow atlas --index OUTDIR

Analyses every class (or the --classes given) of a model, one NeurFlow result per class in OUTDIR
(<class>.neurflow-result.json), and writes OUTDIR/atlas.json: every class with its status (done, pending,
failed, empty), result file, and accuracy and errors from the dataset scan. A class whose result was made from
the same model, data and parameters is skipped, so a killed run resumes where it stopped. The dataset scan is
made once and shared through OUTDIR (atlas.neurflow-scan.json).

  --data PATH          ImageFolder or CSV manifest "path,label"
  --out OUTDIR         the atlas folder (shared by all shards; created when missing)
  --classes LIST       all (default: every class of the model and the dataset) or names/indices, comma-separated
  --shards N           number of shards; this process analyses the classes whose index mod N is its shard
  --shard I            this process's shard (0..N-1); default: JOB_COMPLETION_INDEX (Kubernetes Indexed Job,
                       needs --shards), else SLURM_ARRAY_TASK_ID (Slurm job array; N defaults to
                       SLURM_ARRAY_TASK_COUNT), else 0
  --force              analyse the shard's classes again even when done
  --index OUTDIR       only rewrite OUTDIR/atlas.json from the results there (e.g. after all shards ended)
  --json               print atlas.json instead of the table
${ANALYSIS_USAGE}
Exit code 0 when every class of the shard is done or empty, 1 when one failed (the others still ran).
Ctrl-C stops within a second; the class in progress is analysed again on the next run (exit 130).
See docs/cluster.md for a Kubernetes Indexed Job and a Slurm array running it over a shared folder.`;

function pct(v: number | null): string {
  return v === null ? '-' : `${(100 * v).toFixed(1)}%`;
}

/** The atlas as a table: class, status, accuracy, errors, result. */
export function formatAtlas(index: AtlasIndex, dir: string): string {
  const counts = new Map<string, number>();
  for (const c of index.classes) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const rows = [
    ['#', 'class', 'status', 'images', 'accuracy', 'errors', 'false pos.', 'result'],
    ...index.classes.map((c) => [
      String(c.index),
      c.class,
      c.status,
      String(c.images),
      pct(c.accuracy),
      String(c.errors),
      String(c.falsePositives),
      c.status === 'done' ? c.result : (c.error ?? ''),
    ]),
  ];
  return [
    `atlas ${path.resolve(dir)}: ${index.classes.length} classes (${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}); model ${index.model}`,
    table(rows, new Set([0, 3, 4, 5, 6])),
  ].join('\n');
}

export const atlasCommand: CliCommand = {
  name: 'atlas',
  summary: 'analyse every class of a model into a folder (sharded over cluster tasks, resumable); --index',
  usage: USAGE,
  cancellable: true,
  async run(args, signal = new AbortController().signal) {
    const parsed = parseCommandArgs(
      args,
      {
        ...ANALYSIS_FLAGS,
        data: { type: 'string' },
        out: { type: 'string' },
        classes: { type: 'string' },
        shards: { type: 'string' },
        shard: { type: 'string' },
        force: { type: 'boolean' },
        index: { type: 'string' },
        json: { type: 'boolean' },
      },
      USAGE,
    );
    const v = parsed.values;
    const print = (index: AtlasIndex, dir: string) => console.log(v.json ? JSON.stringify(index) : formatAtlas(index, dir));
    if (v.index !== undefined) {
      if (parsed.positionals.length > 0 || v.data || v.out) throw new UsageError(`--index OUTDIR takes no MODEL, --data or --out\n${USAGE}`);
      const index = indexAtlas(v.index);
      print(index, v.index);
      if (!v.json) console.log(`wrote ${path.resolve(v.index, 'atlas.json')}`);
      return 0;
    }
    const [model, ...extra] = parsed.positionals;
    if (!model || extra.length > 0) throw new UsageError(`expected one MODEL argument\n${USAGE}`);
    if (!v.data) throw new UsageError(`--data is required\n${USAGE}`);
    if (!v.out) throw new UsageError(`--out OUTDIR is required (the atlas folder)\n${USAGE}`);
    const flags = analysisOptions(v, USAGE);
    const shard = resolveShard({ shards: positiveInt(v.shards, 'shards', USAGE), shard: v.shard === undefined ? undefined : shardIndex(v.shard) });
    const classes =
      v.classes === undefined || v.classes.trim() === 'all'
        ? 'all'
        : v.classes
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
            .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (classes !== 'all' && classes.length === 0) throw new UsageError(`--classes: no class given\n${USAGE}`);
    const quiet = v.quiet || v.json;
    const log = (line: string) => {
      if (!quiet) console.error(line);
    };
    const tag = `[shard ${shard.index}/${shard.count}]`;
    log(`${tag} atlas of ${model} into ${path.resolve(v.out)}${shard.source === 'default' ? '' : ` (shard from ${shard.source})`}`);
    const progress = progressPrinter(quiet);
    const res = await runAtlas({
      model,
      data: v.data,
      outDir: v.out,
      classes,
      shard,
      force: v.force,
      ...flags,
      signal,
      onProgress: progress,
      onScan: (e) => log(`${tag} scan: ${e.computed ? 'computed' : 'shared, read from the folder'} (${e.images} images)`),
      onClass: (e) => {
        const what = `${tag} class ${e.class} (${e.index})`;
        if (e.event === 'start') log(`${what}: analysing`);
        else if (e.event === 'done') log(`${what}: done in ${e.seconds?.toFixed(1)} s`);
        else if (e.event === 'skipped') log(`${what}: skipped, done before with the same model, data and parameters`);
        else if (e.event === 'empty') log(`${what}: empty (${e.error})`);
        else if (e.event === 'failed') console.error(`${what}: FAILED: ${e.error}`);
        else log(`${what}: cancelled`);
      },
    });
    log(
      `${tag} ${res.analysed + res.skipped + res.empty + res.failed} classes: ${res.analysed} analysed, ${res.skipped} skipped (done before), ${res.empty} empty, ${res.failed} failed${res.cancelled ? '; cancelled' : ''}`,
    );
    print(res.index, v.out);
    if (!v.json) console.log(`wrote ${res.file}`);
    if (res.cancelled || signal.aborted) return 130;
    return res.failed > 0 ? 1 : 0;
  },
};

function shardIndex(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`--shard must be a whole number >= 0, got '${value}'\n${USAGE}`);
  return Number(value);
}

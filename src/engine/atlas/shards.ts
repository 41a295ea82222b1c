/**
 * Splitting an atlas over the tasks of a cluster job: which shard this process is (a flag, a Kubernetes Indexed
 * Job's JOB_COMPLETION_INDEX or a Slurm job array's SLURM_ARRAY_TASK_ID), which classes it takes (class index mod
 * shard count), and the file names of the classes' results.
 */
import { UsageError } from '../errors';

export interface Shard {
  index: number;
  count: number;
  /** Where the index came from, for messages: "--shard", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID" or "default". */
  source: string;
}

function wholeNumber(value: string, what: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${what} must be a whole number >= 0, got '${value}'`);
  return Number(value.trim());
}

/**
 * The shard of this process. `--shard I` wins; else JOB_COMPLETION_INDEX (Kubernetes Indexed Job: the count is
 * --shards, which must equal the Job's `completions`); else SLURM_ARRAY_TASK_ID (the count is --shards or
 * SLURM_ARRAY_TASK_COUNT; an array that starts above 0 or steps, e.g. --array=1-8:2, is mapped through
 * SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_STEP to 0, 1, 2...); else shard 0 of --shards (1 by default).
 */
export function resolveShard(flags: { shards?: number; shard?: number }, env: NodeJS.ProcessEnv = process.env): Shard {
  const given = flags.shards;
  let index: number;
  let count = given;
  let source: string;
  if (flags.shard !== undefined) {
    index = flags.shard;
    source = '--shard';
  } else if (env.JOB_COMPLETION_INDEX !== undefined && env.JOB_COMPLETION_INDEX !== '') {
    index = wholeNumber(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX');
    source = 'JOB_COMPLETION_INDEX';
    if (count === undefined) {
      throw new UsageError(
        `JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but --shards is not: pass --shards with the Job's completions (the number of shards)`,
      );
    }
  } else if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_ID !== '') {
    const id = wholeNumber(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID');
    const min = env.SLURM_ARRAY_TASK_MIN ? wholeNumber(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN') : 0;
    const step = env.SLURM_ARRAY_TASK_STEP ? Math.max(1, wholeNumber(env.SLURM_ARRAY_TASK_STEP, 'SLURM_ARRAY_TASK_STEP')) : 1;
    if (id < min || (id - min) % step !== 0) {
      throw new UsageError(`SLURM_ARRAY_TASK_ID ${id} is not in the array (SLURM_ARRAY_TASK_MIN ${min}, step ${step})`);
    }
    index = (id - min) / step;
    source = 'SLURM_ARRAY_TASK_ID';
    const slurmCount = env.SLURM_ARRAY_TASK_COUNT ? wholeNumber(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT') : undefined;
    if (count !== undefined && slurmCount !== undefined && slurmCount !== count) {
      throw new UsageError(`--shards ${count} disagrees with SLURM_ARRAY_TASK_COUNT ${slurmCount}: leave --shards out, or make the array that size`);
    }
    count ??= slurmCount;
    if (count === undefined) throw new UsageError('SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor --shards is: pass --shards');
  } else {
    index = 0;
    source = 'default';
    if (count !== undefined && count > 1) {
      throw new UsageError(
        `--shards ${count} needs this process's shard: --shard I, or run it as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or a Slurm job array (SLURM_ARRAY_TASK_ID)`,
      );
    }
  }
  count ??= 1;
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--shards must be a positive integer, got ${count}`);
  if (index >= count) throw new UsageError(`shard ${index} (from ${source}) is out of range: there are ${count} shards (0..${count - 1})`);
  return { index, count, source };
}

/** Whether class `classIndex` belongs to `shard` (class index mod shard count): the same answer in every process. */
export function inShard(classIndex: number, shard: Pick<Shard, 'index' | 'count'>): boolean {
  return classIndex % shard.count === shard.index;
}

const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * File-name stems for class names (index = class index): letters, digits, '.', '-' and '_' kept, every other run
 * of characters becomes '_'; an empty, dot-only or Windows-reserved name, and names that end up equal (ignoring
 * case, for case-insensitive file systems), get the class index appended, so every class has its own file.
 */
export function classFileStems(names: readonly string[]): string[] {
  const base = names.map((name, i) => {
    let s = name
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}_.-]+/gu, '_')
      .replace(/^\.+/, '')
      .slice(0, 100);
    if (s === '' || /^_*$/.test(s) || RESERVED.test(s)) s = `${s || 'class'}-${i}`;
    return s;
  });
  const seen = new Map<string, number>();
  for (const s of base) seen.set(s.toLowerCase(), (seen.get(s.toLowerCase()) ?? 0) + 1);
  return base.map((s, i) => ((seen.get(s.toLowerCase()) ?? 0) > 1 ? `${s}-${i}` : s));
}

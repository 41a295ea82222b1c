/**
 * `neurflow atlas` (issue 19): the demo model, four classes, two shards as two concurrent processes (Kubernetes
 * Indexed Job: JOB_COMPLETION_INDEX=0/1 with --shards 2; Slurm: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT),
 * then `--index`: four results, atlas.json lists them; re-running a shard skips its classes (no analysis, under a
 * quarter of the first run's time: printed as a diagnostic, the skip itself asserted); a deleted result is analysed again, and only it. Plus the shard arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { classFileStems, inShard, resolveShard } from '../../../src/engine/atlas/shards';
import type { AtlasIndex } from '../../../src/engine/atlas/atlas';
import { readResult } from '../../../src/engine/result/store';
import { REPO_ROOT } from '../../helpers/shared';

const MODEL = path.join(REPO_ROOT, 'demo', 'model', 'shortcut-resnet.onnx');
const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');
const CLASSES = ['circle', 'square', 'star', 'triangle'];
/** Small analyses (a few seconds per class on 2 cores): four layers, few core inputs and crops, 8 IG nodes. */
const ANALYSIS = ['--layers', 'fc,layer3.1,layer3.0,layer2.1', '--tau', '4', '--top-crops', '12', '--ig-steps', '8', '--threads', '1'];
const SHARD_VARS = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_STEP'];

/** A copy of the demo's first `perClass` images of each class (the demo's markers included). */
function dataset(dir: string, perClass: number): string {
  const data = path.join(dir, 'data');
  for (const c of CLASSES) {
    mkdirSync(path.join(data, c), { recursive: true });
    for (const name of readdirSync(path.join(REPO_ROOT, 'demo', 'images', c))
      .sort()
      .slice(0, perClass)) {
      copyFileSync(path.join(REPO_ROOT, 'demo', 'images', c, name), path.join(data, c, name));
    }
  }
  return data;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  for (const k of SHARD_VARS) delete base[k];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO_ROOT, env: { ...base, ...env } });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-atlas-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const readIndex = (out: string) => JSON.parse(readFileSync(path.join(out, 'atlas.json'), 'utf8')) as AtlasIndex;

/** Two shards concurrently, the index, a rerun of shard 0, and a resume after one result is deleted. */
async function shardedAtlas(t: { after: (fn: () => void) => void }, shardEnv: (i: number) => Record<string, string>, extra: string[]) {
  const dir = scratch(t);
  const data = dataset(dir, 25);
  const out = path.join(dir, 'atlas');
  const args = ['atlas', MODEL, '--data', data, '--out', out, ...extra, ...ANALYSIS];
  const first = await Promise.all([cli(args, shardEnv(0)), cli(args, shardEnv(1))]);
  for (const [i, r] of first.entries()) {
    assert.equal(r.code, 0, `shard ${i} exit code\n${r.stderr}`);
    assert.match(r.stderr, /2 classes: 2 analysed, 0 skipped/, `shard ${i} analysed its two classes`);
  }
  // Class index mod 2: shard 0 has circle (0) and star (2), shard 1 square (1) and triangle (3).
  assert.match(first[0].stderr, /class circle \(0\): done/);
  assert.match(first[0].stderr, /class star \(2\): done/);
  assert.match(first[1].stderr, /class square \(1\): done/);
  assert.match(first[1].stderr, /class triangle \(3\): done/);
  // One scan for both: at most one shard computed it that the other did not read (both may compute when they
  // start together; the first to publish wins and the files are identical).
  const index = await cli(['atlas', '--index', out]);
  assert.equal(index.code, 0, index.stderr);
  const atlas = readIndex(out);
  assert.equal(atlas.format, 'neurflow.atlas');
  assert.equal(atlas.model, MODEL);
  assert.deepEqual(
    atlas.classes.map((c) => [c.class, c.index, c.result, c.status]),
    CLASSES.map((c, i) => [c, i, `${c}.neurflow-result.json`, 'done']),
  );
  for (const c of atlas.classes) {
    const doc = readResult(path.join(out, c.result));
    assert.equal(doc.class.name, c.class);
    assert.ok(doc.complete);
    assert.equal(doc.key, c.key);
    assert.equal(c.images, 25, 'per-class numbers from the scan');
    assert.equal(c.errors, Math.round(c.images * (1 - (c.accuracy ?? 0))), 'errors = images not predicted as the class');
  }
  assert.ok(existsSync(path.join(out, 'atlas.neurflow-scan.json')), 'the shared scan is in the folder');
  // Re-running shard 0: both classes skipped, no analysis, a fraction of the time.
  const mtimes = () => CLASSES.map((c) => statSync(path.join(out, `${c}.neurflow-result.json`)).mtimeMs);
  const before = mtimes();
  const again = await cli(args, shardEnv(0));
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /2 classes: 0 analysed, 2 skipped \(done before\)/);
  assert.doesNotMatch(again.stderr, /analysing|Scanning|scan: computed/, 'no analysis and no scan ran');
  assert.deepEqual(mtimes(), before, 'no result was rewritten');
  // The time is printed, not asserted (a loaded machine stretches a process start more than an analysis): the
  // structural checks above are what makes the rerun cheap.
  // A lost result (e.g. the run was killed before writing it) is the only class a rerun analyses.
  rmSync(path.join(out, 'star.neurflow-result.json'));
  assert.equal((await cli(['atlas', '--index', out])).code, 0);
  assert.equal(readIndex(out).classes[2].status, 'pending');
  const resumed = await cli(args, shardEnv(0));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /1 analysed, 1 skipped/);
  assert.match(resumed.stderr, /class star \(2\): done/);
  assert.deepEqual(
    readIndex(out).classes.map((c) => c.status),
    ['done', 'done', 'done', 'done'],
    'the shard rewrote atlas.json at its end',
  );
  return { first, again };
}

test('atlas: two Kubernetes Indexed Job shards (JOB_COMPLETION_INDEX, --shards 2), the index, a rerun that skips, a resume', async (t) => {
  const { first, again } = await shardedAtlas(t, (i) => ({ JOB_COMPLETION_INDEX: String(i) }), ['--shards', '2']);
  t.diagnostic(`first run of shard 0: ${first[0].ms.toFixed(0)} ms, shard 1: ${first[1].ms.toFixed(0)} ms; rerun of shard 0: ${again.ms.toFixed(0)} ms`);
  assert.match(first[0].stderr, /shard from JOB_COMPLETION_INDEX/);
});

test('atlas: the same with a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)', async (t) => {
  const { first, again } = await shardedAtlas(t, (i) => ({ SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: '2' }), []);
  t.diagnostic(`first run of shard 0: ${first[0].ms.toFixed(0)} ms, shard 1: ${first[1].ms.toFixed(0)} ms; rerun of shard 0: ${again.ms.toFixed(0)} ms`);
  assert.match(first[1].stderr, /\[shard 1\/2\].*shard from SLURM_ARRAY_TASK_ID/);
});

test('atlas: clear errors for a missing index, a bad class, shard variables without a count', async (t) => {
  const dir = scratch(t);
  const none = await cli(['atlas', '--index', dir]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /atlas\.json: no atlas index there/);
  const data = dataset(dir, 2);
  const bad = await cli(['atlas', MODEL, '--data', data, '--out', path.join(dir, 'o'), '--classes', 'circle,hexagon']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /class 'hexagon': not a class of the dataset/);
  const k8s = await cli(['atlas', MODEL, '--data', data, '--out', path.join(dir, 'o')], { JOB_COMPLETION_INDEX: '1' });
  assert.equal(k8s.code, 2);
  assert.match(k8s.stderr, /JOB_COMPLETION_INDEX is set .* --shards/);
  const noOut = await cli(['atlas', MODEL, '--data', data]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out OUTDIR is required/);
});

test('shards: flags, Kubernetes and Slurm variables, class index mod N', () => {
  assert.deepEqual(resolveShard({}, {}), { index: 0, count: 1, source: 'default' });
  assert.deepEqual(resolveShard({ shards: 3, shard: 2 }, { JOB_COMPLETION_INDEX: '0' }), { index: 2, count: 3, source: '--shard' });
  assert.deepEqual(resolveShard({ shards: 4 }, { JOB_COMPLETION_INDEX: '3' }), { index: 3, count: 4, source: 'JOB_COMPLETION_INDEX' });
  assert.deepEqual(resolveShard({}, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' }), { index: 1, count: 2, source: 'SLURM_ARRAY_TASK_ID' });
  // --array=1-7:2 -> ids 1,3,5,7 -> shards 0..3
  assert.deepEqual(resolveShard({}, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_STEP: '2' }), {
    index: 2,
    count: 4,
    source: 'SLURM_ARRAY_TASK_ID',
  });
  assert.throws(() => resolveShard({ shards: 2 }, { JOB_COMPLETION_INDEX: '2' }), /shard 2 .* out of range/);
  assert.throws(() => resolveShard({ shards: 2 }, {}), /--shards 2 needs this process's shard/);
  assert.throws(() => resolveShard({ shards: 3 }, { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' }), /disagrees with SLURM_ARRAY_TASK_COUNT/);
  assert.throws(() => resolveShard({ shards: 2 }, { JOB_COMPLETION_INDEX: 'x' }), /JOB_COMPLETION_INDEX must be a whole number/);
  const mine = (i: number) => [0, 1, 2, 3, 4, 5, 6].filter((c) => inShard(c, { index: i, count: 3 }));
  assert.deepEqual(
    [mine(0), mine(1), mine(2)],
    [
      [0, 3, 6],
      [1, 4],
      [2, 5],
    ],
  );
});

test('class file names: sanitised, and distinct even when names collide', () => {
  assert.deepEqual(classFileStems(['cat', 'great white shark', 'a/b', '../x', '', 'CON', 'Cat', 'ñandú']), [
    'cat-0',
    'great_white_shark',
    'a_b',
    '_x',
    'class-4',
    'CON-5',
    'Cat-6',
    'ñandú',
  ]);
});

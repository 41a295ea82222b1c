/**
 * Result and export writes (issue #17, finding 8): temp file in the same folder, fsync, rename, folder fsync;
 * temp files a killed writer left are removed by the next write of the same file; exports copy the same way.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { copyFileAtomic, readResult, removeStaleTemps, writeFileAtomic, writeResult } from '../../../src/engine/result/store';
import { exportResultFiles } from '../../../src/engine/result/export';
import { RESULT_FORMAT, type ResultDocument } from '../../../src/engine/result/schema';
import { scanFileFor } from '../../../src/engine/data/scan-file';
import { UsageError } from '../../../src/engine/errors';

function withDir(fn: (dir: string) => void): () => void {
  return () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'nf-atomic-'));
    try {
      fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'the data is fsynced before the rename and the folder after it; the temp file lives beside the target',
  withDir((dir) => {
    const file = path.join(dir, 'r.neurflow-result.json');
    const calls: string[] = [];
    const fsync = mock.method(fs, 'fsyncSync', (fd: number) => {
      calls.push(`fsync ${fd}`);
    });
    const rename = mock.method(fs, 'renameSync', (from: fs.PathLike, to: fs.PathLike) => {
      calls.push(`rename ${path.dirname(String(from)) === dir ? 'same-folder' : String(from)} -> ${path.basename(String(to))}`);
      rename.mock.restore();
      fs.renameSync(from, to);
    });
    try {
      writeFileAtomic(file, '{"a":1}');
    } finally {
      fsync.mock.restore();
      rename.mock.restore();
    }
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}');
    assert.equal(calls.length, 3, calls.join('; '));
    assert.match(calls[0], /^fsync \d+$/);
    assert.equal(calls[1], 'rename same-folder -> r.neurflow-result.json');
    assert.match(calls[2], /^fsync \d+$/);
    assert.deepEqual(fs.readdirSync(dir), ['r.neurflow-result.json']);
  }),
);

test(
  'a failed write leaves the old file and no temp file',
  withDir((dir) => {
    const file = path.join(dir, 'r.json');
    fs.writeFileSync(file, 'old');
    const rename = mock.method(fs, 'renameSync', () => {
      throw Object.assign(new Error('EIO'), { code: 'EIO' });
    });
    try {
      assert.throws(() => writeFileAtomic(file, 'new'), /EIO/);
    } finally {
      rename.mock.restore();
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(fs.readdirSync(dir), ['r.json']);
  }),
);

test(
  'temp files left by a killed writer are removed on the next write; live and other files are kept',
  withDir((dir) => {
    const file = path.join(dir, 'r.json');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const deadTemp = path.join(dir, `r.json.${dead}.0badc0de.tmp`);
    const liveTemp = path.join(dir, `r.json.${process.ppid}.1badc0de.tmp`);
    const oldLiveTemp = path.join(dir, `r.json.${process.ppid}.2badc0de.tmp`);
    const otherTemp = path.join(dir, `s.json.${dead}.3badc0de.tmp`);
    const notTemp = path.join(dir, 'r.json.backup');
    for (const f of [deadTemp, liveTemp, oldLiveTemp, otherTemp, notTemp]) fs.writeFileSync(f, 'partial');
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(oldLiveTemp, hourAgo, hourAgo);
    writeFileAtomic(file, 'new');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['r.json', path.basename(liveTemp), 'r.json.backup', path.basename(otherTemp)].sort());
    assert.deepEqual(removeStaleTemps(path.join(dir, 's.json')), [otherTemp]);
  }),
);

test(
  'copyFileAtomic writes the copy through a temp file and leaves nothing else',
  withDir((dir) => {
    const from = path.join(dir, 'a.json');
    const to = path.join(dir, 'out', 'b.json');
    fs.writeFileSync(from, 'x'.repeat(100_000));
    copyFileAtomic(from, to);
    assert.equal(fs.readFileSync(to, 'utf8').length, 100_000);
    assert.deepEqual(fs.readdirSync(path.dirname(to)), ['b.json']);
  }),
);

test(
  'Export Result copies the result and its scan through temp files and renames, never straight onto the target',
  withDir((dir) => {
    const doc = {
      format: RESULT_FORMAT,
      version: 1,
      createdAt: new Date(0).toISOString(),
      complete: true,
      key: 'k',
      model: { path: 'm.onnx', sha256: 'ab', inputName: 'input', inputShape: ['batch', 3, 64, 64], labels: ['a', 'b'], preprocessing: {} },
      runtime: { provider: 'cpu', threads: 2, versions: {} },
      dataset: { root: '/d', layout: 'imagefolder', fingerprint: 'f', imageCount: 1 },
      class: { index: 1, name: 'b', selection: 'predicted', images: ['x.png'] },
      params: {
        layers: ['fc'],
        classIndex: 1,
        selection: 'predicted',
        tau: 16,
        topCrops: 50,
        granularities: [1],
        strideRatio: 0.5,
        igSteps: 50,
        igMethod: 'gausslegendre',
        subconceptRange: [2, 5],
        groupRange: [2, 100],
        groupCounts: {},
        normalisation: 'correct',
        representatives: 5,
        debugThreshold: 0.8,
        debugGranularities: [1],
        debugTopPairs: 3,
        seed: 0,
      },
      crops: { table: [[0, 1, 0, 0, 64, 64]], thumbnails: {} },
      layers: [],
      circuit: [],
      timings: {},
    } as unknown as ResultDocument;
    const source = path.join(dir, 'saved.neurflow-result.json');
    writeResult(source, doc);
    fs.writeFileSync(scanFileFor(source), '{"format":"neurflow.scan"}');
    const target = path.join(dir, 'out', 'mine.json');
    fs.mkdirSync(path.dirname(target));
    fs.writeFileSync(path.join(dir, 'out', 'mine.neurflow-result.json'), 'previous export');
    const copy = mock.method(fs, 'copyFileSync', () => {
      throw new Error('copyFileSync must not be used');
    });
    const renames: string[] = [];
    const rename = mock.method(fs, 'renameSync', (from: fs.PathLike, to: fs.PathLike) => {
      renames.push(path.basename(String(to)));
      fs.writeFileSync(String(to), fs.readFileSync(String(from)));
      fs.rmSync(String(from));
    });
    let written: string;
    try {
      written = exportResultFiles(source, target);
    } finally {
      copy.mock.restore();
      rename.mock.restore();
    }
    assert.equal(written, path.join(dir, 'out', 'mine.neurflow-result.json'));
    assert.deepEqual(renames.sort(), ['mine.neurflow-result.json', 'mine.neurflow-scan.json']);
    assert.equal(readResult(written).key, 'k');
    assert.deepEqual(fs.readdirSync(path.dirname(target)).sort(), ['mine.neurflow-result.json', 'mine.neurflow-scan.json']);
    // A damaged source is refused before anything is written.
    fs.writeFileSync(source, '{"format":"neurflow.result"');
    assert.throws(() => exportResultFiles(source, path.join(dir, 'out', 'other.json')), UsageError);
    assert.ok(!fs.existsSync(path.join(dir, 'out', 'other.neurflow-result.json')));
  }),
);

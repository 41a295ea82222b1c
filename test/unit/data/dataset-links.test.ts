/**
 * Dataset listing on hostile folders (issue #17, findings 3 and 4): symbolic link loops and second links to a
 * folder or file list every image once and never hang; file names that are not valid UTF-8 are found and read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { datasetFingerprint, openDataset } from '../../../src/engine/data/dataset';
import { decodeFsName, fsPath, shownPath } from '../../../src/engine/data/fs-names';
import { decodeImageFile } from '../../../src/engine/data/image';
import { REPO_ROOT } from '../../helpers/shared';

const PNG = path.join(REPO_ROOT, 'demo', 'images', 'circle', '0000.png');

function withRoot(fn: (root: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'nf-links-'));
    try {
      await fn(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

function files(root: string, rels: string[]): void {
  for (const rel of rels) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), 'x');
  }
}

test(
  'a symbolic link loop lists each image once and reports the loop',
  withRoot((root) => {
    files(root, ['a/1.png', 'a/sub/2.png', 'b/3.png']);
    symlinkSync('..', path.join(root, 'a', 'sub', 'up')); // a/sub/up -> a
    const ds = openDataset(root);
    assert.deepEqual(
      ds.items.map((i) => i.path),
      ['a/1.png', 'a/sub/2.png', 'b/3.png'],
    );
    assert.ok(
      ds.skipped.some((s) => s.path === 'a/sub/up' && /symbolic link loop \(leads back to a\)/.test(s.reason)),
      JSON.stringify(ds.skipped),
    );
  }),
);

test(
  'two loops in one folder, links to the root and self-links do not hang',
  withRoot((root) => {
    files(root, ['a/1.png', 'a/x/2.png', 'b/3.png']);
    symlinkSync('..', path.join(root, 'a', 'x', 'l1'));
    symlinkSync('../..', path.join(root, 'a', 'x', 'l2'));
    symlinkSync('.', path.join(root, 'a', 'x', 'l3'));
    symlinkSync('self', path.join(root, 'a', 'self'));
    symlinkSync(root, path.join(root, 'b', 'root'));
    const started = Date.now();
    const ds = openDataset(root);
    assert.ok(Date.now() - started < 2000);
    assert.deepEqual(
      ds.items.map((i) => i.path),
      ['a/1.png', 'a/x/2.png', 'b/3.png'],
    );
    const reasons = Object.fromEntries(ds.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons['a/self'], /symbolic link loop/);
    assert.match(reasons['b/root'], /symbolic link loop \(leads back to \.\)/);
    assert.match(reasons['a/x/l3'], /symbolic link loop/);
  }),
);

test(
  'a second link to a folder or a file lists it once, under its own path',
  withRoot((root) => {
    files(root, ['b/real/1.png', 'b/2.png', 'c/3.png']);
    symlinkSync(path.join(root, 'b', 'real'), path.join(root, 'a_link')); // a class folder that is a link into b
    symlinkSync('2.png', path.join(root, 'b', '0-alias.png'));
    symlinkSync(path.join(root, 'c', '3.png'), path.join(root, 'b', 'other.png')); // same file, other class
    const ds = openDataset(root);
    assert.deepEqual(ds.classes, ['a_link', 'b', 'c']);
    assert.deepEqual(
      ds.items.map((i) => [i.path, i.label]),
      [
        ['b/2.png', 1],
        ['b/real/1.png', 1],
        ['c/3.png', 2],
      ],
    );
    const reasons = Object.fromEntries(ds.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons.a_link, /same folder as b\/real/);
    assert.match(reasons['b/0-alias.png'], /same file as b\/2\.png/);
    assert.match(reasons['b/other.png'], /same file as c\/3\.png/);
    assert.ok(ds.warnings.some((w) => /class folder 'a_link' has no images/.test(w)));
  }),
);

test('fs names: non-UTF-8 bytes round-trip exactly through strings', () => {
  for (const bytes of [[0x63, 0x61, 0x66, 0xe9], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98, 0x80, 0x80], [0xc0, 0xaf]]) {
    const name = decodeFsName(Uint8Array.from(bytes));
    assert.deepEqual([...Buffer.from(fsPath(name))], bytes, JSON.stringify(name));
    assert.equal(JSON.parse(JSON.stringify(name)), name);
  }
  assert.equal(decodeFsName(Buffer.from('héllo 😀', 'utf8')), 'héllo 😀');
  assert.equal(fsPath('héllo 😀'), 'héllo 😀');
  assert.equal(shownPath(decodeFsName(Uint8Array.from([0x61, 0xe9]))), 'a\\xE9');
});

test(
  'image files whose names are not UTF-8 are listed and decoded, in ImageFolder and CSV manifests',
  withRoot(async (root) => {
    mkdirSync(path.join(root, 'a'));
    mkdirSync(path.join(root, 'b'));
    const latin1 = Buffer.concat([Buffer.from(path.join(root, 'a', 'caf')), Buffer.of(0xe9), Buffer.from('.png')]);
    const other = Buffer.concat([Buffer.from(path.join(root, 'a', 'x')), Buffer.of(0xff), Buffer.from('.png')]);
    copyFileSync(PNG, latin1);
    copyFileSync(PNG, other);
    copyFileSync(PNG, path.join(root, 'b', 'ok.png'));
    const ds = openDataset(root);
    assert.equal(ds.items.length, 3);
    assert.deepEqual(ds.skipped, []);
    for (const it of ds.items) {
      const img = await decodeImageFile(it.file, 3);
      assert.ok(img.width > 0);
    }
    assert.match(datasetFingerprint(ds), /^[0-9a-f]{64}$/);
    // A Latin-1 manifest naming the Latin-1 file.
    const manifest = path.join(root, 'list.csv');
    writeFileSync(manifest, Buffer.concat([Buffer.from('path,label\na/caf'), Buffer.of(0xe9), Buffer.from('.png,0\nb/ok.png,1\n')]));
    const csv = openDataset(manifest);
    assert.deepEqual(csv.skipped, []);
    assert.equal(csv.items.length, 2);
    assert.deepEqual([...readFileSync(fsPath(csv.items[0].file))], [...readFileSync(PNG)]);
  }),
);

test(
  'a manifest that names a file twice lists it once',
  withRoot((root) => {
    files(root, ['a/1.png', 'a/2.png']);
    const manifest = path.join(root, 'list.csv');
    writeFileSync(manifest, 'a/1.png,0\na/2.png,1\n./a/1.png,1\n');
    const ds = openDataset(manifest);
    assert.deepEqual(
      ds.items.map((i) => [i.path, i.label]),
      [
        ['a/1.png', 0],
        ['a/2.png', 1],
      ],
    );
    assert.match(ds.skipped[0].reason, /manifest line 3 names the same file as line 1; listed once/);
  }),
);

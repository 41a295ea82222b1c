import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { datasetFingerprint, openDataset } from '../../../src/engine/data/dataset';
import { parseCsv } from '../../../src/engine/data/csv';
import { DataError } from '../../../src/engine/errors';
import { sharedPath } from '../../helpers/shared';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nf-ds-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(rel.endsWith('/') ? p : path.dirname(p), { recursive: true });
    if (!rel.endsWith('/')) writeFileSync(p, content);
  }
  return root;
}

test('ImageFolder: sorted folders give indices; files listed in torchvision order (os.walk sorted, nested folders)', () => {
  const root = tree({
    'b/2.png': 'x',
    'b/1.PNG': 'x',
    'a/z.jpg': 'x',
    'a/sub/0.jpg': 'x',
    'a/sub-x/0.jpg': 'x',
    'a/notes.txt': 'x',
    'C/q.webp': 'x',
  });
  try {
    const ds = openDataset(root);
    assert.equal(ds.layout, 'imagefolder');
    assert.deepEqual(ds.classes, ['C', 'a', 'b']); // code-point order, as Python's sorted()
    assert.deepEqual(
      ds.items.map((i) => [i.path, i.label]),
      [
        ['C/q.webp', 0],
        ['a/z.jpg', 1],
        ['a/sub/0.jpg', 1],
        ['a/sub-x/0.jpg', 1],
        ['b/1.PNG', 2],
        ['b/2.png', 2],
      ],
    );
    assert.deepEqual(ds.names, ds.classes);
    assert.ok(
      ds.warnings.some((w) => /1 file in class folders ignored \(not images: \.txt\)/.test(w)),
      ds.warnings.join('; '),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ImageFolder: an empty class folder keeps its index and is reported; labels.txt gives display names', () => {
  const root = tree({ 'cat/1.png': 'x', 'dog/': '', 'emu/1.png': 'x', 'labels.txt': 'Cat\nDog\nEmu\n' });
  try {
    const ds = openDataset(root);
    assert.deepEqual(ds.classes, ['cat', 'dog', 'emu']);
    assert.deepEqual(
      ds.items.map((i) => i.label),
      [0, 2],
    );
    assert.deepEqual(ds.names, ['Cat', 'Dog', 'Emu']);
    assert.equal(ds.namesFrom, 'labels.txt');
    assert.ok(
      ds.warnings.some((w) => /class folder 'dog' has no images \(its index is kept\)/.test(w)),
      ds.warnings.join('; '),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ImageFolder: a labels.txt that does not match the folders is a warning, folder (or model) names are used', () => {
  const root = tree({ 'a/1.png': 'x', 'b/1.png': 'x', 'labels.txt': 'one\ntwo\nthree\n' });
  try {
    const ds = openDataset(root);
    assert.deepEqual(ds.names, ['a', 'b']);
    assert.equal(ds.items.length, 2);
    assert.ok(
      ds.warnings.some((w) => /labels\.txt has 3 names but there are 2 classes \(a, b\); using the folder names/.test(w)),
      ds.warnings.join('; '),
    );
    const withModel = openDataset(root, { modelLabels: ['Alpha', 'Beta'] });
    assert.deepEqual(withModel.names, ['Alpha', 'Beta']);
    assert.equal(withModel.namesFrom, 'model');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ImageFolder errors: no class folders, only empty folders, missing path', () => {
  const loose = tree({ '1.png': 'x', '2.png': 'x' });
  const empty = tree({ 'a/': '', 'b/readme.md': 'x' });
  try {
    assert.throws(
      () => openDataset(loose),
      (e: Error) => e instanceof DataError && /has 2 images but no class folders/.test(e.message),
    );
    assert.throws(() => openDataset(empty), /the class folders \(a, b\) contain no images/);
    assert.throws(() => openDataset(path.join(loose, 'nope')), /no such folder or file/);
  } finally {
    rmSync(loose, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
});

test('CSV manifest: header, names mapped through the model labels, missing files skipped with the reason', () => {
  const root = tree({
    'img/a.png': 'x',
    'img/b.png': 'x',
    'img/c.png': 'x',
    'm.csv': 'filename,label\nimg/a.png,dog\n"img/b.png",cat\nimg/gone.png,cat\nimg/c.png,\n',
  });
  try {
    const ds = openDataset(path.join(root, 'm.csv'), { modelLabels: ['cat', 'dog'] });
    assert.equal(ds.layout, 'csv');
    assert.deepEqual(ds.classes, ['cat', 'dog']);
    assert.deepEqual(
      ds.items.map((i) => [i.path, i.label]),
      [
        ['img/a.png', 1],
        ['img/b.png', 0],
      ],
    );
    assert.deepEqual(
      ds.skipped.map((s) => [s.path, s.reason]),
      [
        ['img/gone.png', 'file not found (manifest line 4)'],
        ['img/c.png', 'manifest line 5: no label'],
      ],
    );
    // Without model labels, names are sorted; numeric labels are indices.
    writeFileSync(path.join(root, 'n.csv'), 'img/a.png,2\nimg/b.png,0\n');
    const num = openDataset(path.join(root, 'n.csv'));
    assert.deepEqual(
      num.items.map((i) => i.label),
      [2, 0],
    );
    assert.deepEqual(num.classes, ['0', '1', '2']);
    assert.ok(num.warnings.some((w) => /no images labelled '1'/.test(w)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('CSV parsing: quotes, doubled quotes, CRLF, BOM and blank lines', () => {
  const rows = parseCsv('\ufeffpath,label\r\n"a,b.png","x ""y"""\r\n\r\nc.png,z');
  assert.deepEqual(
    rows.map((r) => r.fields),
    [
      ['path', 'label'],
      ['a,b.png', 'x "y"'],
      ['c.png', 'z'],
    ],
  );
  assert.deepEqual(
    rows.map((r) => r.line),
    [1, 2, 4],
  );
});

test('the fingerprint changes when a file changes and not otherwise', () => {
  const root = tree({ 'a/1.png': 'x', 'b/1.png': 'y' });
  try {
    const f1 = datasetFingerprint(openDataset(root));
    assert.equal(datasetFingerprint(openDataset(root)), f1);
    utimesSync(path.join(root, 'a/1.png'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    assert.notEqual(datasetFingerprint(openDataset(root)), f1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the reference datasets open with their folder order and labels.txt', (t) => {
  const fm = sharedPath(t, 'reference/fmnist-test');
  const audit = sharedPath(t, 'datasets/shortcut/audit');
  if (!fm || !audit) return;
  const ds = openDataset(fm);
  assert.equal(ds.items.length, 1000);
  assert.equal(ds.names[0], 'T-shirt/top');
  assert.equal(ds.classes[9], '9-ankle-boot');
  const a = openDataset(audit);
  assert.deepEqual(a.classes, ['circle', 'square', 'star', 'triangle']);
  assert.equal(a.items.length, 400);
  assert.deepEqual(a.warnings, []);
});

/**
 * The panel's file access (issue #17, security): images and files open only inside the dataset root or the
 * workspace (or the files the host put in the view); a result's dataset root becomes a webview resource root
 * only when it is a dataset's own folder (never `/` or the home folder), and only inside the workspace when
 * the workspace is not trusted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isInside, openRefusal, servableRoot } from '../../../src/extension/results/access';

function withTree(fn: (dir: string) => void): () => void {
  return () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nf-access-'));
    try {
      for (const rel of ['ws/train.py', 'ws/data/a/1.png', 'elsewhere/data/b/2.png', 'home/me/.ssh/id_rsa', 'secret.txt']) {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), 'x');
      }
      symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'ws', 'data', 'a', 'link.png'));
      fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'isInside compares real paths',
  withTree((dir) => {
    assert.ok(isInside(path.join(dir, 'ws', 'data', 'a', '1.png'), path.join(dir, 'ws')));
    assert.ok(!isInside(path.join(dir, 'ws', 'data', 'a', 'link.png'), path.join(dir, 'ws')), 'a link out of the folder is outside');
    assert.ok(!isInside(path.join(dir, 'wsx', 'f'), path.join(dir, 'ws')));
    assert.ok(!isInside(path.join(dir, 'ws', '..', 'secret.txt'), path.join(dir, 'ws')));
  }),
);

test(
  'the dataset root is served only when it is a dataset folder, and inside the workspace without trust',
  withTree((dir) => {
    const home = path.join(dir, 'home', 'me');
    const ws = [path.join(dir, 'ws')];
    const trusted = { trusted: true, workspaceFolders: ws, home };
    const untrusted = { trusted: false, workspaceFolders: ws, home };
    assert.equal(servableRoot(path.join(dir, 'ws', 'data'), untrusted).root, path.join(dir, 'ws', 'data'));
    assert.equal(servableRoot(path.join(dir, 'elsewhere', 'data'), trusted).root, path.join(dir, 'elsewhere', 'data'));
    assert.match(servableRoot(path.join(dir, 'elsewhere', 'data'), untrusted).why!, /outside the workspace, and the workspace is not trusted/);
    assert.match(servableRoot('/', trusted).why!, /a whole file system/);
    assert.match(servableRoot(path.join(dir, 'home'), trusted).why!, /holds your home folder/);
    assert.match(servableRoot(home, trusted).why!, /holds your home folder/);
    assert.match(servableRoot(path.join(dir, 'nope'), trusted).why!, /was not found/);
    assert.deepEqual(servableRoot(undefined, trusted), {});
  }),
);

test(
  'openImage / openFile: inside the dataset root or the workspace, or a file of the view; else refused with the reason',
  withTree((dir) => {
    const root = path.join(dir, 'elsewhere', 'data');
    const ws = path.join(dir, 'ws');
    const resultFile = path.join(dir, 'storage', 'r.neurflow-result.json');
    assert.equal(openRefusal(path.join(root, 'b', '2.png'), [root, ws], [resultFile]), undefined);
    assert.equal(openRefusal(path.join(ws, 'train.py'), [undefined, ws], []), undefined);
    assert.equal(openRefusal(resultFile, [root, ws], [resultFile]), undefined);
    for (const bad of [
      path.join(dir, 'secret.txt'),
      path.join(dir, 'home', 'me', '.ssh', 'id_rsa'),
      '/etc/passwd',
      path.join(ws, 'data', 'a', 'link.png'),
      path.join(root, '..', '..', 'secret.txt'),
    ]) {
      assert.match(
        openRefusal(bad, [root, ws], [resultFile]) ?? '',
        /NeurFlow opens only files inside the dataset folder or the workspace .* is outside them/,
        bad,
      );
    }
    assert.match(openRefusal('relative/x.png', [root], []) ?? '', /not an absolute path/);
  }),
);

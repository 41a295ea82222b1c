/**
 * The lock file that lets parallel test processes share one computed demo result (test/helpers/file-lock.ts):
 * holders never overlap, a lock left by a dead process is taken over, a live foreign lock times out naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withFileLock } from '../../helpers/file-lock';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('holders of one lock never overlap, and the lock is gone afterwards', async (t) => {
  const file = path.join(scratch(t), 'sub', 'x.lock');
  const events: string[] = [];
  const job = (name: string) =>
    withFileLock(
      file,
      async () => {
        events.push(`${name} in`);
        assert.ok(existsSync(file), 'the lock file exists while held');
        await sleep(60);
        events.push(`${name} out`);
        return name;
      },
      { pollMs: 10 },
    );
  const results = await Promise.all([job('a'), job('b'), job('c')]);
  assert.deepEqual(results, ['a', 'b', 'c']);
  for (let i = 0; i < events.length; i += 2) assert.equal(events[i].split(' ')[0], events[i + 1].split(' ')[0], events.join(', '));
  assert.equal(existsSync(file), false);
});

test('the lock is released when the work throws', async (t) => {
  const file = path.join(scratch(t), 'x.lock');
  await assert.rejects(
    withFileLock(file, async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(existsSync(file), false);
  assert.equal(await withFileLock(file, async () => 7, { timeoutMs: 100 }), 7);
});

test('a lock left by a process that no longer exists is taken over', async (t) => {
  const file = path.join(scratch(t), 'x.lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(file, `${dead.stdout} ${hostname()}\n`);
  assert.equal(await withFileLock(file, async () => 'taken', { timeoutMs: 2000, pollMs: 10 }), 'taken');
});

test('a live lock held elsewhere makes the waiter give up at its timeout, naming the owner', async (t) => {
  const file = path.join(scratch(t), 'x.lock');
  writeFileSync(file, `${process.pid} ${hostname()}\n`);
  let told = '';
  await assert.rejects(
    withFileLock(file, async () => 'never', {
      timeoutMs: 150,
      pollMs: 20,
      onWait: (o) => {
        told = o;
      },
    }),
    (e: Error) => e.message.includes(`still locked by ${process.pid} ${hostname()}`),
  );
  assert.equal(told, `${process.pid} ${hostname()}`);
  assert.ok(existsSync(file), 'a live lock is not removed');
});

/**
 * A lock between test processes (node:test runs test files in parallel, one process each): a lock file created
 * exclusively (`wx`) that holds the owner's pid and host; the others poll until it is gone. A lock whose owner
 * process no longer exists on this host (a killed test run) is removed and taken over.
 *
 * Use it only around work whose output is written atomically and is the same whoever makes it (a cached
 * result): in the rare race where two processes take over one stale lock, both do the work, which costs time
 * but never gives a wrong or half-written file.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  /** Give up waiting after this long (default 15 minutes). */
  timeoutMs?: number;
  /** Poll interval (default 250 ms). */
  pollMs?: number;
  /** Called once when the lock is held by another process (its `pid host` line). */
  onWait?: (owner: string) => void;
}

/** Runs `fn` while holding the lock file `file` (created with its folder when missing). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  await acquire(file, options);
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

async function acquire(file: string, options: LockOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  mkdirSync(path.dirname(file), { recursive: true });
  let told = false;
  for (;;) {
    if (tryCreate(file)) return;
    const owner = readOwner(file);
    if (owner !== undefined && isStale(file, owner)) {
      // Remove only the lock we judged stale (not one a third process created meanwhile).
      if (readOwner(file) === owner) rmSync(file, { force: true });
      continue;
    }
    if (!told && owner) {
      options.onWait?.(owner);
      told = true;
    }
    if (Date.now() > deadline)
      throw new Error(`${file}: still locked by ${owner || 'an unknown process'} after ${Math.round((options.timeoutMs ?? 900_000) / 1000)} s`);
    await sleep(options.pollMs ?? 250);
  }
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `${process.pid} ${hostname()}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock's `pid host` line ('' while its owner has not written it yet), or undefined when the lock is gone. */
function readOwner(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function isStale(file: string, owner: string): boolean {
  const [pid, host] = owner.split(' ');
  if (!pid) {
    // Created but never written: its owner died between open and write (or is writing right now).
    try {
      return Date.now() - statSync(file).mtimeMs > 30_000;
    } catch {
      return false;
    }
  }
  if (host !== hostname()) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

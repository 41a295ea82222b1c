/**
 * A cache of onnxruntime sessions keyed by (model sha256, sub-model key, provider, threads). A session is built
 * once from in-memory ONNX bytes and reused; the least recently used idle session is released when the cache
 * is full. Sessions in use (inside `use`) are never released under their caller.
 */
import { PARAMS } from '../params';
import { OrtSession, type ProviderSetting } from './ort';

export interface SessionKey {
  /** The model file's sha256. */
  sha256: string;
  /** What was cut or built from it: 'full', 'prefix:<tensor>', 'activations:<...>', a backward graph ... */
  sub: string;
  provider?: ProviderSetting;
  threads?: number;
  /** The CPU memory arena (see SessionOptions.memoryArena; default on). */
  memoryArena?: boolean;
}

interface Entry {
  session: Promise<OrtSession>;
  users: number;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();

  /** `capacity`: how many sessions to keep (idle ones beyond it are released, oldest first). */
  constructor(private readonly capacity = 8) {}

  /**
   * The cached session for `key`, created from `build()` (ONNX bytes) on first use. `name` names the model
   * in errors. The caller must not release it; prefer `use` around runs so eviction cannot close it mid-run.
   */
  async get(key: SessionKey, build: () => Uint8Array, name: string): Promise<OrtSession> {
    return this.acquire(key, build, name, false);
  }

  /** Runs `fn` with the cached session for `key`, holding it for the duration. */
  async use<T>(key: SessionKey, build: () => Uint8Array, name: string, fn: (s: OrtSession) => Promise<T>): Promise<T> {
    const id = keyString(key);
    const session = await this.acquire(key, build, name, true);
    try {
      return await fn(session);
    } finally {
      const entry = this.entries.get(id);
      if (entry) entry.users--;
      await this.evict();
    }
  }

  /** Whether a session for `key` is cached. */
  has(key: SessionKey): boolean {
    return this.entries.has(keyString(key));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Releases every idle session (all of them when none is in use). */
  async clear(): Promise<void> {
    const idle = [...this.entries].filter(([, e]) => e.users === 0);
    for (const [id] of idle) this.entries.delete(id);
    await Promise.all(
      idle.map(([, e]) =>
        e.session.then(
          (s) => s.release(),
          () => undefined,
        ),
      ),
    );
  }

  private async acquire(key: SessionKey, build: () => Uint8Array, name: string, hold: boolean): Promise<OrtSession> {
    const id = keyString(key);
    let entry = this.entries.get(id);
    if (entry) {
      this.entries.delete(id); // re-insert: most recently used last
      this.entries.set(id, entry);
    } else {
      const created = Promise.resolve().then(() =>
        OrtSession.create(build(), name, { provider: key.provider ?? 'cpu', threads: key.threads, memoryArena: key.memoryArena }),
      );
      entry = { session: created, users: 0 };
      this.entries.set(id, entry);
      created.catch(() => this.entries.get(id) === entry && this.entries.delete(id));
    }
    if (hold) entry.users++;
    try {
      const session = await entry.session;
      if (!hold) await this.evict();
      return session;
    } catch (e) {
      if (hold) entry.users--;
      throw e;
    }
  }

  private async evict(): Promise<void> {
    const victims: Entry[] = [];
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (e.users > 0) continue;
      this.entries.delete(id);
      victims.push(e);
    }
    await Promise.all(
      victims.map((e) =>
        e.session.then(
          (s) => s.release(),
          () => undefined,
        ),
      ),
    );
  }
}

function keyString(k: SessionKey): string {
  return JSON.stringify([k.sha256, k.sub, k.provider ?? 'cpu', k.threads ?? PARAMS.threads.default, ...(k.memoryArena === false ? ['no-arena'] : [])]);
}

/** The process-wide cache the engine uses by default. */
export const sessionCache = new SessionCache();

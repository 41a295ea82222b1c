/**
 * The fuzz harness (issue #17): a seeded random source, byte and value mutators, and a tally that sorts every
 * outcome into "ok", "a named error" (a NeurflowError of src/engine/errors.ts, counted by class) or a crash
 * (anything else, or a case slower than the hang limit). The unit fuzz suite and bench/fuzz.ts share it.
 */
import { NeurflowError } from '../../../src/engine/errors';

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1) (xorshift32). */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

export interface Crash {
  label: string;
  error: string;
}

export class Tally {
  cases = 0;
  ok = 0;
  readonly named = new Map<string, number>();
  readonly crashes: Crash[] = [];
  slowestMs = 0;
  slowest = '';

  constructor(
    readonly name: string,
    readonly hangMs = 5000,
  ) {}

  private settle(label: string, started: number, error: unknown): void {
    this.cases++;
    const ms = performance.now() - started;
    if (ms > this.slowestMs) {
      this.slowestMs = ms;
      this.slowest = label;
    }
    if (ms > this.hangMs) this.crashes.push({ label, error: `took ${Math.round(ms)} ms (hang limit ${this.hangMs} ms)` });
    if (error === undefined) this.ok++;
    else if (error instanceof NeurflowError) this.named.set(error.name, (this.named.get(error.name) ?? 0) + 1);
    else this.crashes.push({ label, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }

  /** Runs one case; a NeurflowError is an expected outcome, anything else a crash. */
  run(label: string, fn: () => void): void {
    const started = performance.now();
    try {
      fn();
      this.settle(label, started, undefined);
    } catch (e) {
      this.settle(label, started, e ?? new Error('threw undefined'));
    }
  }

  async runAsync(label: string, fn: () => Promise<void>): Promise<void> {
    const started = performance.now();
    try {
      await fn();
      this.settle(label, started, undefined);
    } catch (e) {
      this.settle(label, started, e ?? new Error('threw undefined'));
    }
  }

  summary(): string {
    const named = [...this.named]
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return `${this.name}: ${this.cases} cases, ${this.ok} ok, named errors: ${named || 'none'}; crashes ${this.crashes.length}; slowest ${this.slowestMs.toFixed(0)} ms (${this.slowest})`;
  }

  /** The crashes, for an assertion message. */
  crashReport(max = 5): string {
    return this.crashes
      .slice(0, max)
      .map((c) => `${c.label}: ${c.error.split('\n').slice(0, 6).join('\n    ')}`)
      .join('\n');
  }
}

/** Byte mutations: flips, random bytes, cuts, insertions, deletions, duplicated and zeroed ranges. */
export function mutateBytes(rng: Rng, bytes: Uint8Array, span = bytes.length): { bytes: Uint8Array; what: string } {
  const region = Math.max(2, Math.min(span, bytes.length));
  const at = rng.int(region);
  const kind = rng.int(8);
  const out = (b: Uint8Array, what: string) => ({ bytes: b, what: `${what} at ${at}` });
  switch (kind) {
    case 0: {
      const c = Uint8Array.from(bytes);
      c[at] ^= 1 << rng.int(8);
      return out(c, 'bit flip');
    }
    case 1: {
      const c = Uint8Array.from(bytes);
      c[at] = rng.pick([0, 0x7f, 0x80, 0xff, rng.int(256)]);
      return out(c, 'byte set');
    }
    case 2: {
      const c = Uint8Array.from(bytes);
      const n = 1 + rng.int(16);
      for (let i = 0; i < n && at + i < c.length; i++) c[at + i] = rng.int(256);
      return out(c, `${n} random bytes`);
    }
    case 3:
      return out(bytes.slice(0, at), 'cut');
    case 4: {
      const n = 1 + rng.int(8);
      const ins = Uint8Array.from({ length: n }, () => rng.int(256));
      const c = new Uint8Array(bytes.length + n);
      c.set(bytes.subarray(0, at));
      c.set(ins, at);
      c.set(bytes.subarray(at), at + n);
      return out(c, `${n} bytes inserted`);
    }
    case 5: {
      const n = Math.min(1 + rng.int(32), bytes.length - at);
      const c = new Uint8Array(bytes.length - n);
      c.set(bytes.subarray(0, at));
      c.set(bytes.subarray(at + n), at);
      return out(c, `${n} bytes deleted`);
    }
    case 6: {
      const n = 1 + rng.int(64);
      const piece = bytes.slice(at, at + n);
      const c = new Uint8Array(bytes.length + piece.length);
      c.set(bytes.subarray(0, at + piece.length));
      c.set(piece, at + piece.length);
      c.set(bytes.subarray(at + piece.length), at + 2 * piece.length);
      return out(c, `${piece.length} bytes duplicated`);
    }
    default: {
      const c = Uint8Array.from(bytes);
      c.fill(rng.pick([0, 0xff]), at, Math.min(c.length, at + 1 + rng.int(32)));
      return out(c, 'range filled');
    }
  }
}

/** Values a mutated field takes: wrong types, extremes, odd strings. */
export function oddValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => -0,
    () => 0.5,
    () => 1e308,
    () => -1e308,
    () => 2 ** 53 + 2,
    () => 4294967296,
    () => '',
    () => 'x',
    () => '\u0000',
    () => '../../etc/passwd',
    () => '/',
    () => 'x'.repeat(5000),
    () => '\ud800',
    () => '__proto__',
    () => [],
    () => [null],
    () => [1, 2, 3],
    () => {},
    () => ({ __proto__: { polluted: true } }),
    () => ({ constructor: 1 }),
    () => rng.int(1000),
    () => -rng.int(1000),
    () => String(rng.int(100)),
    () => [[[[[]]]]],
  ])();
}

/** Every path to a value inside a JSON value (arrays capped at `perArray` entries each). */
export function jsonPaths(value: unknown, perArray = 4, out: (string | number)[][] = [], at: (string | number)[] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.slice(0, perArray).forEach((v, i) => jsonPaths(v, perArray, out, [...at, i]));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) jsonPaths(v, perArray, out, [...at, k]);
  return out;
}

/** A deep copy of a JSON value with one structural mutation at a random path. */
export function mutateJson(rng: Rng, value: unknown, paths: (string | number)[][]): { value: unknown; what: string } {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  const path = rng.pick(paths.filter((p) => p.length > 0));
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown> | unknown[];
  const key = path[path.length - 1];
  const shown = path.join('.');
  const current = (parent as Record<string | number, unknown>)[key];
  const kind = rng.int(6);
  if (kind === 0) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete (parent as Record<string | number, unknown>)[key];
    return { value: copy, what: `removed ${shown}` };
  }
  if (kind === 1 && Array.isArray(current)) {
    const op = rng.int(4);
    if (op === 0) current.length = 0;
    else if (op === 1) current.push(...current.slice(0, 3));
    else if (op === 2) current.push(oddValue(rng));
    else current.reverse();
    return { value: copy, what: `array ${shown} changed (${op})` };
  }
  if (kind === 2 && typeof current === 'number') {
    (parent as Record<string | number, unknown>)[key] = rng.pick([current + 1, current - 1, -current, current * 1000, current + 0.5, 1e9, -1]);
    return { value: copy, what: `number ${shown} changed` };
  }
  if (kind === 3 && current && typeof current === 'object' && !Array.isArray(current)) {
    (current as Record<string, unknown>)[rng.pick(['__proto__', 'constructor', 'extra', 'toString'])] = oddValue(rng);
    return { value: copy, what: `key added to ${shown}` };
  }
  (parent as Record<string | number, unknown>)[key] = oddValue(rng);
  return { value: copy, what: `${shown} replaced` };
}

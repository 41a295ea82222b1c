/** Table-driven finite-difference checks: each case becomes one `test()`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkVjp, type FdOptions, type OpModel } from './helpers';

export interface FdCase extends OpModel, FdOptions {
  name: string;
  /** Bound on max|vjp - fd| / max|fd| (default 1e-6 for float64, 1e-2 for float32). */
  tol?: number;
}

export function fdTests(cases: FdCase[]): void {
  for (const c of cases) {
    test(c.name, async () => {
      const r = await checkVjp(c, c);
      const tol = c.tol ?? (c.dtype === 'float64' ? 1e-6 : 1e-2);
      assert.ok(
        r.fd.some((v) => Math.abs(v) > 1e-6),
        'finite differences are all zero: the case checks nothing',
      );
      assert.ok(r.rel < tol, `${c.name}: rel error ${r.rel.toExponential(2)} (max abs ${r.maxAbs.toExponential(2)}) >= ${tol}`);
    });
  }
}

/** Values in [-range, range] kept at least `gap` away from the kinks listed (so +-eps never crosses one). */
export function awayFrom(kinks: number[], gap = 0.05, range = 2): FdOptions['sample'] {
  return (r) => {
    for (;;) {
      const v = range * (2 * r() - 1);
      if (kinks.every((k) => Math.abs(v - k) > gap)) return v;
    }
  };
}

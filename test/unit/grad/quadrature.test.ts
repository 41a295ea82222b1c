import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussLegendre, linspaceF32, quadrature } from '../../../src/engine/grad/quadrature';

test('Gauss-Legendre with n points integrates polynomials of degree 2n-1 exactly on [-1, 1]', () => {
  for (const n of [1, 2, 3, 7, 50]) {
    const { nodes, weights } = gaussLegendre(n);
    for (let d = 0; d <= 2 * n - 1; d++) {
      const exact = d % 2 === 1 ? 0 : 2 / (d + 1);
      const approx = nodes.reduce((s, x, i) => s + weights[i] * x ** d, 0);
      assert.ok(Math.abs(approx - exact) < 1e-12, `n=${n} degree ${d}: ${approx} vs ${exact}`);
    }
    if (n <= 7) {
      // Degree 2n is no longer exact (shows the check can fail).
      const approx = nodes.reduce((s, x, i) => s + weights[i] * x ** (2 * n), 0);
      assert.ok(Math.abs(approx - 2 / (2 * n + 1)) > 1e-6);
    }
    assert.ok(
      nodes.every((x, i) => i === 0 || x > nodes[i - 1]),
      'ascending nodes, as numpy leggauss',
    );
  }
});

test('Gauss-Legendre on [0, 1] matches numpy leggauss(50) scaled as captum does', () => {
  const q = quadrature('gausslegendre', 50);
  // numpy: 0.5 * (1 + leggauss(50)[0][0]), 0.5 * leggauss(50)[1][0]
  assert.ok(Math.abs(q.alphas[0] - 0.5 * (1 - 0.998866404420071)) < 1e-15);
  assert.ok(Math.abs(q.weights[0] - 0.5 * 0.002908622553154703) < 1e-15);
  assert.ok(Math.abs(q.weights.reduce((a, b) => a + b, 0) - 1) < 1e-14);
  // integral of 3 t^2 on [0, 1] = 1
  assert.ok(Math.abs(q.alphas.reduce((s, t, i) => s + q.weights[i] * 3 * t * t, 0) - 1) < 1e-14);
});

test('riemann_trapezoid: float32 linspace alphas, 1/n weights with halved ends (sum (n-1)/n, as captum)', () => {
  const q = quadrature('riemann_trapezoid', 50);
  assert.equal(q.alphas[0], 0);
  assert.equal(q.alphas[49], 1);
  assert.equal(q.alphas[1], Math.fround(Math.fround(1) / Math.fround(49)));
  assert.ok(Math.abs(q.weights.reduce((a, b) => a + b, 0) - 49 / 50) < 1e-15);
  assert.equal(q.weights[0], 0.01);
  assert.equal(q.weights[1], 0.02);
  assert.deepEqual(linspaceF32(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(quadrature('riemann_right', 4).alphas, [0.25, 0.5, 0.75, 1]);
  assert.deepEqual(quadrature('riemann_left', 4).alphas, [0, 0.25, 0.5, 0.75]);
  assert.throws(() => quadrature('riemann_trapezoid', 1), /at least 2 steps/);
  assert.throws(() => quadrature('simpson' as never, 10), /unknown IG method/);
});

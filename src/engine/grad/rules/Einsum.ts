import { attrString } from '../attrs';
import type { GradContext, GradRule } from '../types';

/** Subscripts of the operands and the output, one letter per axis ('...' spelled out as spare capitals). */
interface Parsed {
  inputs: string[];
  output: string;
}

/**
 * Parses `equation` for operands of the given ranks: '...' becomes explicit letters, right-aligned across
 * operands as numpy broadcasts them; the implicit output is '...' then the letters used once, sorted.
 */
function parse(ctx: GradContext, equation: string, ranks: number[]): Parsed {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  if (terms.length !== ranks.length) ctx.fail(`equation '${equation}' names ${terms.length} operands, the node has ${ranks.length}`);
  const spare = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').filter((c) => !eq.includes(c));
  const ellipsisRanks = terms.map((t, i) => {
    const explicit = t.replace('...', '');
    if (!/^[a-zA-Z]*$/.test(explicit)) ctx.fail(`equation '${equation}': operand ${i} '${t}' is not letters with at most one '...'`);
    return t.includes('...') ? ranks[i] - explicit.length : 0;
  });
  const width = Math.max(0, ...ellipsisRanks);
  if (width > spare.length) ctx.fail(`equation '${equation}': '...' spans too many axes`);
  const dots = spare.slice(0, width).join('');
  const expand = (t: string, k: number) => t.replace('...', dots.slice(width - k));
  const inputs = terms.map((t, i) => expand(t, ellipsisRanks[i]));
  let output: string;
  if (arrow >= 0) {
    output = expand(eq.slice(arrow + 2), width);
  } else {
    const counts = new Map<string, number>();
    for (const c of terms.join('').replace(/\.\.\./g, '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    output =
      dots +
      [...counts]
        .filter(([, k]) => k === 1)
        .map(([c]) => c)
        .sort()
        .join('');
  }
  inputs.forEach((t, i) => {
    if (t.length !== ranks[i]) ctx.fail(`equation '${equation}': operand ${i} has rank ${ranks[i]}, its subscripts '${terms[i]}' say ${t.length}`);
    if (new Set(t).size !== t.length) ctx.fail(`equation '${equation}': a letter repeated within operand ${i} (a diagonal) is not supported`);
  });
  if (new Set(output).size !== output.length) ctx.fail(`equation '${equation}': a letter repeated in the output is not supported`);
  return { inputs, output };
}

/**
 * y = einsum(equation, x0, x1, ...): y is linear in each operand, so the cotangent of operand i is the
 * einsum of dy with the other operands, 'out,others->sub_i', restricted to the letters of sub_i that occur
 * in out or the others; the letters only operand i has were summed away, so the result is broadcast back
 * along them (Unsqueeze + Expand). '...' is spelled out as letters; every letter must have one length in all
 * operands (no size-1 broadcasting), and a letter on the batch axis of an activation must belong only to
 * activations (their batch lengths vary together).
 */
export const Einsum: GradRule = {
  opType: 'Einsum',
  grad(ctx) {
    const { node, em } = ctx;
    const equation = attrString(node, 'equation', '');
    const shapes = node.input.map((t) => ctx.shape(t));
    const { inputs, output } = parse(
      ctx,
      equation,
      shapes.map((s) => s.length),
    );
    const length = new Map<string, number>();
    inputs.forEach((sub, i) =>
      [...sub].forEach((c, a) => {
        const known = length.get(c);
        if (known !== undefined && known !== shapes[i][a])
          ctx.fail(`equation '${equation}': letter ${c} has lengths ${known} and ${shapes[i][a]} (broadcast letters are not supported)`);
        length.set(c, shapes[i][a]);
      }),
    );
    const batchLetters = new Set(inputs.flatMap((sub, i) => (ctx.needs(i) && sub.length > 0 ? [sub[0]] : [])));
    inputs.forEach((sub, i) => {
      if (!ctx.needs(i) && [...sub].some((c) => batchLetters.has(c))) {
        ctx.fail(`equation '${equation}': constant operand ${i} shares the batch axis letter of an activation`);
      }
    });
    const gy = ctx.gradOrZeros(0);
    return inputs.map((sub, i) => {
      if (!ctx.needs(i)) return undefined;
      const others = inputs.filter((_, j) => j !== i);
      const present = new Set(output + others.join(''));
      const kept = [...sub].filter((c) => present.has(c)).join('');
      const tensors = [gy, ...node.input.filter((_, j) => j !== i)];
      let g = em.op('Einsum', tensors, { equation: `${[output, ...others].join(',')}->${kept}` });
      if (kept.length < sub.length) {
        const missing = [...sub].flatMap((c, a) => (present.has(c) ? [] : [a]));
        g = em.op('Expand', [em.unsqueeze(g, missing), em.op('Shape', [node.input[i]])]);
      }
      return g;
    });
  },
};

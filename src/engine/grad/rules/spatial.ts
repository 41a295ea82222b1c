/**
 * Shared geometry of windowed operators (Conv, pools): kernel, strides, dilations and explicit begin/end pads
 * with `auto_pad` resolved from the static shapes. Not a rule.
 */
import { attrInts, attrString } from '../attrs';
import type { GradContext } from '../types';

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  /** Spatial input and output lengths (no batch/channel). */
  inLen: number[];
  outLen: number[];
}

export function windowOf(ctx: GradContext, kernel: number[]): Window {
  const { node } = ctx;
  const inLen = ctx.shape(node.input[0]).slice(2);
  const outLen = ctx.shape(node.output[0]).slice(2);
  const n = inLen.length;
  const strides = attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  let padsBegin = new Array<number>(n).fill(0);
  let padsEnd = new Array<number>(n).fill(0);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < n; i++) {
      const total = Math.max((outLen[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inLen[i], 0);
      const small = Math.floor(total / 2);
      padsBegin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      padsEnd[i] = total - padsBegin[i];
    }
  } else if (autoPad === 'NOTSET') {
    const pads = attrInts(node, 'pads');
    if (pads) {
      padsBegin = pads.slice(0, n);
      padsEnd = pads.slice(n, 2 * n);
    }
  } else if (autoPad !== 'VALID') {
    ctx.fail(`unknown auto_pad '${autoPad}'`);
  }
  return { kernel, strides, dilations, padsBegin, padsEnd, inLen, outLen };
}

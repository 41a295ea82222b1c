/** Which preprocessing preset the picker offers first (no vscode here, so the unit tests can check it). */

/** `imagenet` (resize 256, crop 224) for 224-px or size-free inputs; else `none`, which fits any input size. */
export function presetFor(shape: readonly (number | string)[]): 'imagenet' | 'none' {
  const [h, w] = shape.slice(2);
  const fixed = (d: number | string | undefined) => typeof d === 'number' && d > 0;
  return (fixed(h) && h !== 224) || (fixed(w) && w !== 224) ? 'none' : 'imagenet';
}

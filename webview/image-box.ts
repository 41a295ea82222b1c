/**
 * An image with boxes drawn over it (crops, evidence): an <img> and absolutely positioned outlines in
 * percentages of the image, placed once the image's natural size is known (the preprocessing's resize and
 * centre crop map input pixels onto the file). Clickable and keyboard-activatable when `onOpen` is given.
 */
import { h } from './dom';
import { boxOnImage, type Box } from './result/geometry';

export interface DrawnBox {
  box: Box;
  /** Extra class: `best` (strongest), `weak`, `crop`. */
  kind?: string;
  title?: string;
}

export interface BoxedImageOptions {
  src: string;
  alt: string;
  boxes: DrawnBox[];
  /** The result's preprocessing (for images that are source files) and the model's input size [h, w]. */
  preprocessing: unknown;
  inputSize: [number, number];
  /** True when `src` already is the model input (thumbnail, debuggee tensor): boxes scale to the input only. */
  isInput?: boolean;
  /** Displayed width in CSS pixels. */
  width: number;
  caption?: string | Node;
  title?: string;
  onOpen?: () => void;
  /** Small images (the demo's 64 px) are drawn with hard pixels. */
  pixelated?: boolean;
}

export function placeBoxes(frame: HTMLElement, img: HTMLImageElement, o: Pick<BoxedImageOptions, 'boxes' | 'preprocessing' | 'inputSize' | 'isInput'>): void {
  frame.querySelectorAll('.box').forEach((b) => b.remove());
  const [sw, sh] = o.isInput ? [0, 0] : [img.naturalWidth, img.naturalHeight];
  for (const b of o.boxes) {
    const f = boxOnImage(b.box, o.preprocessing, o.inputSize, sw, sh);
    const el = h('div', { class: `box ${b.kind ?? ''}`, title: b.title });
    el.style.left = `${f.left * 100}%`;
    el.style.top = `${f.top * 100}%`;
    el.style.width = `${f.width * 100}%`;
    el.style.height = `${f.height * 100}%`;
    frame.append(el);
  }
}

export function boxedImage(o: BoxedImageOptions): HTMLElement {
  const img = h('img', { src: o.src, alt: o.alt, draggable: 'false', class: o.pixelated ? 'pixelated' : undefined });
  img.style.width = `${o.width}px`;
  const frame = h('div', { class: 'frame' }, img);
  const place = () => placeBoxes(frame, img, o);
  // Placed now (input-sized geometry), and again once the file's natural size is known.
  place();
  if (!o.isInput) img.addEventListener('load', place, { once: true });
  const fig = h(
    'figure',
    { class: `boxed${o.onOpen ? ' clickable' : ''}`, title: o.title },
    frame,
    o.caption !== undefined ? h('figcaption', {}, o.caption) : null,
  );
  if (o.onOpen) {
    const open = o.onOpen;
    fig.tabIndex = 0;
    fig.setAttribute('role', 'button');
    fig.setAttribute('aria-label', `Open ${o.alt}`);
    fig.addEventListener('click', open);
    fig.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        open();
      }
    });
  }
  return fig;
}

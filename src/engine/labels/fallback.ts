/**
 * A label from the data alone, for when no language model can look at the crops (none installed, none that
 * takes images, offline, or it failed): what the group's crops have in common in the dataset — the classes of
 * their source images and the crop granularity. Marked `source: 'data'`, with the reason and the figures.
 */
import type { GroupLabel, ResultDocument } from '../result/schema';
import { groupCrops, type GroupRef } from './group-crops';

/** Class name of the i-th analysed image (`doc.class.images[i]`), or undefined when unknown. */
export type ImageClassOf = (image: number) => string | undefined;

/** Dataset labels as a scan records them (a `ScanResult` fits). */
export interface ScanLabels {
  classes: string[];
  images: { path: string; label: number }[];
}

/**
 * The dataset class of each analysed image: from a scan when given (any layout), else, for an ImageFolder
 * dataset, the image's folder (the class folder names, as torchvision's ImageFolder reads them).
 */
export function imageClasses(doc: ResultDocument, scan?: ScanLabels): ImageClassOf {
  const byPath = new Map<string, string>();
  for (const im of scan?.images ?? []) {
    const name = scan!.classes[im.label];
    if (name !== undefined) byPath.set(im.path, name);
  }
  const folder = doc.dataset.layout === 'imagefolder';
  return (image) => {
    const p = doc.class.images[image];
    if (p === undefined) return undefined;
    const fromScan = byPath.get(p);
    if (fromScan !== undefined || !folder) return fromScan;
    const parts = p.split('/');
    return parts.length > 1 ? parts[0] : undefined;
  };
}

export interface ClassShare {
  name: string;
  images: number;
  share: number /** Share among all analysed images. */;
  base: number;
}
export interface SizeShare {
  granularity: number /** Crop side in input pixels. */;
  side: number;
  crops: number;
  share: number;
}

export interface GroupEvidence {
  crops: number;
  images: number;
  /** Classes of the distinct source images, most images first; absent names are left out. */
  classes: ClassShare[];
  /** How many distinct source images have a known class. */
  known: number;
  sizes: SizeShare[];
}

function counts<T>(items: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

export function groupEvidence(doc: ResultDocument, ref: GroupRef, classOf: ImageClassOf): GroupEvidence {
  const crops = groupCrops(doc, ref).all;
  const rows = crops.map((c) => doc.crops.table[c]).filter((r) => r !== undefined);
  const images = [...new Set(rows.map((r) => r[0]))];
  const named = images.map(classOf).filter((n): n is string => n !== undefined);
  const base = counts(doc.class.images.map((_, i) => classOf(i)).filter((n): n is string => n !== undefined));
  const baseTotal = [...base.values()].reduce((a, b) => a + b, 0);
  const classes = [...counts(named)]
    .map(([name, n]) => ({ name, images: n, share: n / named.length, base: baseTotal ? (base.get(name) ?? 0) / baseTotal : 0 }))
    .sort((a, b) => b.images - a.images || (a.name < b.name ? -1 : 1));
  const sizes = [...counts(rows.map((r) => `${r[1]}|${r[4] - r[2]}`))]
    .map(([key, n]) => {
      const [g, side] = key.split('|').map(Number);
      return { granularity: g, side, crops: n, share: n / rows.length };
    })
    .sort((a, b) => b.crops - a.crops || a.side - b.side);
  return { crops: rows.length, images: images.length, classes, known: named.length, sizes };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The classes that make up most of the images: the top one, then others with >= 20% until 80% is covered (at most 3). */
export function dominantClasses(classes: readonly ClassShare[]): ClassShare[] {
  const out: ClassShare[] = [];
  let covered = 0;
  for (const c of classes) {
    if (out.length > 0 && (c.share < 0.2 || covered >= 0.8 || out.length >= 3)) break;
    out.push(c);
    covered += c.share;
  }
  return out;
}

/** "whole", "large parts (32 px)", "small parts (16 px)" or "mixed crops (16-64 px)" by the dominant size (>= 60%). */
export function sizePhrase(sizes: readonly SizeShare[]): { phrase: string; whole: boolean } {
  const top = sizes[0];
  if (!top) return { phrase: 'crops', whole: false };
  if (top.share >= 0.6) {
    if (top.granularity >= 1) return { phrase: 'whole', whole: true };
    return { phrase: `${top.granularity >= 0.5 ? 'large' : 'small'} parts (${top.side} px)`, whole: false };
  }
  const sides = sizes.map((s) => s.side);
  return { phrase: `mixed crops (${Math.min(...sides)}-${Math.max(...sides)} px)`, whole: false };
}

/** The data label's text and the figures behind it. */
export function describeEvidence(doc: ResultDocument, e: GroupEvidence): { text: string; detail: string } {
  const selection = doc.class.selection === 'labelled' ? 'labelled' : 'predicted';
  const dominant = dominantClasses(e.classes);
  const what = dominant.length > 0 ? `${joinNames(dominant.map((c) => c.name))} images` : `images ${selection} as ${doc.class.name}`;
  const size = sizePhrase(e.sizes);
  const text = size.whole ? `whole ${what}` : `${size.phrase} of ${what}`;
  const classPart =
    e.classes.length > 0
      ? `${e.classes.map((c) => `${c.name} ${pct(c.share)}`).join(', ')} of the images with a known class` +
        ` (all analysed images: ${e.classes.map((c) => `${c.name} ${pct(c.base)}`).join(', ')})`
      : 'their dataset classes are unknown (no scan and not an ImageFolder dataset)';
  const over = e.classes.filter((c) => c.share >= 0.1 && c.share >= 2 * c.base);
  const overPart = over.length > 0 ? `; over-represented: ${over.map((c) => `${c.name} (${pct(c.share)} vs ${pct(c.base)})`).join(', ')}` : '';
  const sizePart = e.sizes.map((s) => `${s.side} px ${pct(s.share)}`).join(', ');
  const detail = `From ${e.crops} crops of ${e.images} images ${selection} as ${doc.class.name}: ${classPart}${overPart}; crop sizes: ${sizePart}.`;
  return { text, detail };
}

/** The data-derived label of a group, with the reason no language model labelled it. */
export function dataLabel(doc: ResultDocument, ref: GroupRef, reason: string, classOf: ImageClassOf = imageClasses(doc)): GroupLabel {
  const { text, detail } = describeEvidence(doc, groupEvidence(doc, ref, classOf));
  return { text, source: 'data', detail, reason };
}

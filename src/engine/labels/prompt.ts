/**
 * The messages sent to a multimodal language model: the labelling request (the group's representative crops and
 * those of the lower groups that feed it, as NeurFlow does, so the label can say how parts combine) and the label
 * check (the label and a numbered, shuffled mix of crops). A message is a list of text and image parts; the
 * extension turns it into `vscode.lm` message parts.
 */
import { DataError } from '../errors';
import { memberChannels } from '../analysis/groups';
import type { ResultDocument } from '../result/schema';
import { decodeDataUri } from './data-uri';
import { feedingUnits, findGroup, groupCrops, withThumbnails, type FeedingUnit, type GroupRef } from './group-crops';

export type PromptPart = { kind: 'text'; text: string } | { kind: 'image'; mime: string; data: Uint8Array /** Crop id in the result. */; crop: number };

export interface LabelPromptOptions {
  /** Group crops shown (default 6). */
  crops?: number;
  /** Lower groups shown (default 3) and crops of each (default 3). */
  feeding?: number;
  feedingCrops?: number;
  /** Longest label asked for, in words (default 6). */
  maxWords?: number;
}

export interface LabelPrompt {
  parts: PromptPart[];
  /** The group's crops shown, in order. */
  crops: number[];
  feeding: FeedingUnit[];
}

function image(doc: ResultDocument, crop: number): PromptPart {
  const uri = doc.crops.thumbnails[String(crop)];
  const { mime, data } = decodeDataUri(uri, `thumbnail of crop ${crop}`);
  return { kind: 'image', mime, data, crop };
}

/** "16 px part" / "whole image" of a crop, as the model is told. */
export function cropCaption(doc: ResultDocument, crop: number): string {
  const row = doc.crops.table[crop];
  if (!row) return 'crop';
  return row[1] >= 1 ? 'whole image' : `${row[4] - row[2]} px part`;
}

function inputSide(doc: ResultDocument): string {
  const s = doc.model.inputShape;
  const h = s[s.length - 2],
    w = s[s.length - 1];
  return typeof h === 'number' && typeof w === 'number' ? `${w}x${h}` : 'fixed-size';
}

const unitName = (u: FeedingUnit, k: number) =>
  `${String.fromCharCode(65 + k)} (group G${u.index} of layer ${u.layer}, ${Math.round(u.share * 100)}% of the input weight)`;

/**
 * The labelling request for a group. Throws a DataError when the group has no crop with a thumbnail (nothing to
 * show the model): the caller falls back to the data label.
 */
export function buildLabelPrompt(doc: ResultDocument, ref: GroupRef, options: LabelPromptOptions = {}): LabelPrompt {
  const { layer, grouping, index } = findGroup(doc, ref);
  const crops = withThumbnails(doc, groupCrops(doc, ref).ranked).slice(0, options.crops ?? 6);
  if (crops.length === 0) {
    throw new DataError(
      `group G${index} of layer ${layer.name}: none of its crops has a thumbnail in the result, so there is nothing to show a language model`,
    );
  }
  const feeding = feedingUnits(doc, ref, options.feeding ?? 3, options.feedingCrops ?? 3);
  const maxWords = options.maxWords ?? 6;
  const neurons = memberChannels(grouping, index).length;
  const parts: PromptPart[] = [];
  const text = (t: string) => parts.push({ kind: 'text', text: t });
  const classes = doc.model.labels.length > 0 ? ` Its classes: ${doc.model.labels.join(', ')}.` : '';
  text(
    `You are naming what a group of neurons in an image classifier detects, for a machine-learning engineer.${classes} ` +
      `The analysis explains the class "${doc.class.name}". Group G${index} of layer ${layer.name} (${neurons} neuron${neurons === 1 ? '' : 's'}) ` +
      `responds most to the image crops below. Each crop is a square part of a ${inputSide(doc)} input image, enlarged.`,
  );
  text(`The group's crops (${crops.length}):`);
  crops.forEach((c, k) => {
    text(`Crop ${k + 1} (${cropCaption(doc, c)}):`);
    parts.push(image(doc, c));
  });
  if (feeding.length > 0) {
    text(`The group is computed from these groups of the layer below, strongest first; their crops show the parts it combines:`);
    feeding.forEach((u, k) => {
      text(`Lower group ${unitName(u, k)}:`);
      for (const c of u.crops) parts.push(image(doc, c));
    });
  }
  text(
    `Reply with JSON only: {"label": "<at most ${maxWords} words naming the visual concept the group's crops share>", ` +
      `"description": "<one sentence: what the crops share${feeding.length > 0 ? " and how the lower groups' parts combine into it" : ''}>"}. ` +
      `Name what is visible (shapes, colours, textures, patterns, markings); use a class name only if the crops show that object.`,
  );
  return { parts, crops, feeding };
}

/** One crop of the label check. */
export interface CheckItem {
  crop: number;
  /** True for a crop of the labelled group, false for another crop. */
  fromGroup: boolean;
}

/** The label check request: the label and the numbered crops (1-based in the text). */
export function buildCheckPrompt(doc: ResultDocument, label: string, items: readonly CheckItem[]): PromptPart[] {
  const parts: PromptPart[] = [
    {
      kind: 'text',
      text:
        `A group of neurons in an image classifier was labelled "${label}". Below are ${items.length} numbered image crops ` +
        `(square parts of input images, enlarged). Some show what the label names, some do not.`,
    },
  ];
  items.forEach((it, k) => {
    parts.push({ kind: 'text', text: `Crop ${k + 1} (${cropCaption(doc, it.crop)}):` }, image(doc, it.crop));
  });
  parts.push({
    kind: 'text',
    text: `Which crops match the label "${label}"? Reply with JSON only: {"matches": [<crop numbers>]} (an empty list if none).`,
  });
  return parts;
}

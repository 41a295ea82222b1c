/**
 * Atlas and Compare on the wire (issue 19), host <-> panel. The shapes the views draw, declared once as valibot
 * schemas and checked on arrival by src/protocol/webview.ts (which puts them in its message unions).
 *
 * - `atlas` (a view message): the class list of an atlas folder (`neurflow atlas`: OUTDIR/atlas.json), with the
 *   groups shared across classes once the host has read the finished results (`shared`; `sharedPending` while it
 *   reads them). `openAtlasClass` asks the host to show one class's result in the panel; that result view carries
 *   `atlas` (the atlas file) and the panel offers a way back (`showAtlas`).
 * - `compare` (a view message): two results of one class side by side with the diff engine's matching
 *   (src/engine/diff/diff.ts), drawn without the documents (each side's groups and circuit only). `compareWith`
 *   asks the host to pick the other result (command `neurflow.compareWith`); `openCompared` shows one side.
 */
import * as v from 'valibot';
import type { ResultDiff } from '../engine/diff/diff';
import { conforms, index, num } from '../engine/util/checked';

const str = v.string();

export const ATLAS_STATUSES = ['done', 'pending', 'failed', 'empty'] as const;

/** One class of the atlas index (src/engine/atlas/atlas.ts AtlasClass), its result as an absolute path. */
export const AtlasClassRowSchema = v.object({
  class: str,
  index,
  status: v.picklist(ATLAS_STATUSES),
  /** The class's result file (absolute). */
  result: str,
  images: index,
  predicted: index,
  correct: index,
  accuracy: v.nullable(num),
  precision: v.nullable(num),
  errors: index,
  falsePositives: index,
  /** Present when the index has them. */
  suspectedLabelErrors: v.optional(index),
  shortcuts: v.optional(index),
  error: v.optional(str),
});
export type AtlasClassRow = v.InferOutput<typeof AtlasClassRowSchema>;

/** A group of one class that other classes share (member neurons, Jaccard >= the threshold, same layer). */
export const SharedGroupSchema = v.object({
  class: str,
  layer: str,
  group: index,
  label: v.optional(str),
  neurons: index,
  with: v.array(v.object({ class: str, group: index, similarity: num, label: v.optional(str) })),
});
export type SharedGroup = v.InferOutput<typeof SharedGroupSchema>;

export const AtlasViewMessageSchema = v.object({
  type: v.literal('atlas'),
  /** The atlas.json file (absolute) and its folder. */
  file: str,
  folder: str,
  model: str,
  accuracy: v.optional(num),
  imageCount: v.optional(index),
  classes: v.array(AtlasClassRowSchema),
  /** Groups shared across the done classes (absent until computed). */
  shared: v.optional(v.array(SharedGroupSchema)),
  /** The Jaccard threshold of `shared`. */
  sharedThreshold: v.optional(num),
  /** The host is reading the done results for `shared`. */
  sharedPending: v.optional(v.boolean()),
  /** Results that could not be read for `shared` (class: why). */
  sharedErrors: v.optional(v.array(str)),
  /** The class to select (e.g. the one the user came back from). */
  selected: v.optional(str),
});
export type AtlasViewMessage = v.InferOutput<typeof AtlasViewMessageSchema>;

/** One side of a comparison: what the view draws of a result. */
export const CompareSideSchema = v.object({
  file: str,
  /** E.g. "triangle · model.onnx · 2025-01-02 10:00". */
  title: str,
  createdAt: str,
  complete: v.boolean(),
  /** Grouped layers, top first; each group's member neurons (channels) and label. */
  layers: v.array(v.object({ name: str, groups: v.array(v.object({ neurons: v.array(index), label: v.optional(str) })) })),
  circuit: v.array(v.object({ upper: str, lower: str, edges: v.array(v.object({ from: index, to: index, weight: num })) })),
});
export type CompareSide = v.InferOutput<typeof CompareSideSchema>;

const DiffShape = v.object({
  layers: v.array(v.object({ layer: str, by: str, matched: v.array(v.unknown()), onlyInA: v.array(v.unknown()), onlyInB: v.array(v.unknown()) })),
  edges: v.array(v.unknown()),
  goneOrWeakened: v.array(v.unknown()),
  layersOnlyInA: v.array(str),
  layersOnlyInB: v.array(str),
});

export const CompareViewMessageSchema = v.object({
  type: v.literal('compare'),
  class: str,
  /** The model file of A (the panel's key). */
  model: str,
  a: CompareSideSchema,
  b: CompareSideSchema,
  /** `diffResults(a, b)` (src/engine/diff/diff.ts). */
  diff: v.custom<ResultDiff>((x) => conforms(DiffShape, x), 'is not a result diff'),
  /** The atlas the A result was opened from, if any (kept for the way back). */
  atlas: v.optional(str),
});
export type CompareViewMessage = v.InferOutput<typeof CompareViewMessageSchema>;

// webview -> host

/** Show this class of the atlas shown (its result view), optionally with a group selected. */
export const OpenAtlasClassMessageSchema = v.object({
  type: v.literal('openAtlasClass'),
  class: str,
  /** Select this group of the class's result (a shared-group link). */
  layer: v.optional(str),
  group: v.optional(index),
});
export type OpenAtlasClassMessage = v.InferOutput<typeof OpenAtlasClassMessageSchema>;

/** Back to the atlas the result view came from (`atlas`: the atlas file it names), selecting `selected`. */
export const ShowAtlasMessageSchema = v.object({ type: v.literal('showAtlas'), atlas: str, selected: v.optional(str) });
export type ShowAtlasMessage = v.InferOutput<typeof ShowAtlasMessageSchema>;

/** Compare the result shown with another one of its class (host: command `neurflow.compareWith`). */
export const CompareWithMessageSchema = v.object({ type: v.literal('compareWith') });
export type CompareWithMessage = v.InferOutput<typeof CompareWithMessageSchema>;

/** Show one side of the comparison shown as a result view. */
export const OpenComparedMessageSchema = v.object({ type: v.literal('openCompared'), side: v.picklist(['a', 'b']) });
export type OpenComparedMessage = v.InferOutput<typeof OpenComparedMessageSchema>;

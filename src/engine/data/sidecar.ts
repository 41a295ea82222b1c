/**
 * Where a model's preprocessing and class names come from, and the check against the model's input.
 *
 * Order: an explicit preset or settings object (CLI option, VS Code setting) wins; else the sidecar
 * `<model>.neurflow.json` (or `<model>.onnx.neurflow.json`) beside the model; else `neurflow.json` in the
 * model's folder; else the `none` preset. Sidecar format (as in shared/reference/models):
 *
 *   { "input": { "size": [h, w], "channels": 3, "scale": 0.0039215686, "mean": [..], "std": [..],
 *                "resize": null | short side | [h, w], "centerCrop": null | side | [h, w], "channelOrder": "RGB",
 *                "preset": "imagenet" (optional: start from a preset, the other fields override it) },
 *     "labels": ["class 0", "class 1", ...] }
 *
 * Presets: `imagenet` = resize short side 256, centre crop 224, x/255, ImageNet mean/std, RGB; `none` = resize to
 * the model's input size, x/255, no mean/std (mean 0, std 1).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as v from 'valibot';
import { DataError } from '../errors';
import type { ModelInput } from '../onnx/model';
import { check } from '../util/checked';
import type { Preprocessing } from './preprocess';

export const PRESETS = ['imagenet', 'none'] as const;

/** The largest side (pixels) a preprocessing step may resize or crop to: bounds the memory one image takes. */
export const MAX_IMAGE_SIDE = 4096;
export type PresetName = (typeof PRESETS)[number];

const got = (i: v.BaseIssue<unknown>) => `, got ${JSON.stringify(i.input)}`;
const isSide = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
/** A side length or [height, width], positive integers. */
const size = v.custom<number | [number, number]>(
  (x) => isSide(x) || (Array.isArray(x) && x.length === 2 && x.every(isSide)),
  (i) => `must be a positive integer or [height, width]${got(i)}`,
);
const perChannel = v.union([v.pipe(v.number(), v.finite()), v.array(v.pipe(v.number(), v.finite()))], (i) => `must be a number or a list of numbers${got(i)}`);

/** Preprocessing fields as written by users (sidecar, CLI option, VS Code setting): all optional. */
export const PreprocessingSettingsSchema = v.object({
  /** Start from a preset; the other fields override it. */
  preset: v.optional(v.picklist(PRESETS, (i) => `is an unknown preset ${JSON.stringify(i.input)} (known: ${PRESETS.join(', ')})`)),
  size: v.optional(size),
  channels: v.optional(v.picklist([1, 3], (i) => `must be 1 or 3${got(i)}`)),
  scale: v.optional(
    v.pipe(
      v.number((i) => `must be a positive number${got(i)}`),
      v.finite((i) => `must be a positive number${got(i)}`),
      v.gtValue(0, (i) => `must be a positive number${got(i)}`),
    ),
  ),
  mean: v.optional(perChannel),
  std: v.optional(perChannel),
  /** Short side, or [h, w]; null: no resize before the crop. */
  resize: v.optional(v.nullable(size)),
  centerCrop: v.optional(v.nullable(size)),
  channelOrder: v.optional(v.picklist(['RGB', 'BGR'], (i) => `must be "RGB" or "BGR"${got(i)}`)),
});
export type PreprocessingSettings = v.InferOutput<typeof PreprocessingSettingsSchema>;

const labels = v.optional(v.array(v.string(), 'must be a list of strings'));
/** A sidecar file: `{ input: settings, labels? }`, or the settings themselves (with `labels` beside them). */
const SidecarSchema = v.object({ input: PreprocessingSettingsSchema, labels });
const BareSidecarSchema = v.object({ ...PreprocessingSettingsSchema.entries, labels });

export type PreprocessingSource = 'option' | 'sidecar' | 'folder' | 'default';

export interface ResolvedPreprocessing {
  preprocessing: Preprocessing;
  /** Where it came from, and the file when it was a sidecar. */
  source: PreprocessingSource;
  file?: string;
  /** Class display names from the sidecar, if it has them. */
  labels?: string[];
}

function preset(name: PresetName): PreprocessingSettings {
  if (name === 'imagenet') {
    return {
      size: [224, 224],
      channels: 3,
      resize: 256,
      centerCrop: [224, 224],
      scale: 1 / 255,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      channelOrder: 'RGB',
    };
  }
  return { resize: null, centerCrop: null, scale: 1 / 255, mean: [0], std: [1], channelOrder: 'RGB' };
}

/** The sidecar files looked for, in order. */
export function sidecarCandidates(modelFile: string): { file: string; source: PreprocessingSource }[] {
  const dir = path.dirname(modelFile);
  const base = path.basename(modelFile);
  const stem = base.replace(/\.onnx$/i, '');
  return [
    { file: path.join(dir, `${stem}.neurflow.json`), source: 'sidecar' },
    { file: path.join(dir, `${base}.neurflow.json`), source: 'sidecar' },
    { file: path.join(dir, 'neurflow.json'), source: 'folder' },
  ];
}

/**
 * Finds the model's preprocessing and checks it against the model input. `override` (a preset name or settings)
 * takes precedence over any sidecar; the sidecar's labels are still returned.
 */
export function resolvePreprocessing(modelFile: string, input: ModelInput, override?: PresetName | PreprocessingSettings): ResolvedPreprocessing {
  let found: { file: string; source: PreprocessingSource; settings: PreprocessingSettings; labels?: string[] } | undefined;
  for (const c of sidecarCandidates(modelFile)) {
    if (existsSync(c.file)) {
      found = { ...c, ...readSidecar(c.file) };
      break;
    }
  }
  const labels = found?.labels;
  if (override !== undefined) {
    const settings = typeof override === 'string' ? { preset: override } : override;
    return { preprocessing: completePreprocessing(settings, input, 'the preprocessing option'), source: 'option', labels };
  }
  if (found) {
    return { preprocessing: completePreprocessing(found.settings, input, found.file), source: found.source, file: found.file, labels };
  }
  return { preprocessing: completePreprocessing({ preset: 'none' }, input, 'the default preprocessing (none)'), source: 'default' };
}

/** Reads a sidecar: `{ input: settings, labels? }` (a bare settings object is accepted too). */
export function readSidecar(file: string): { settings: PreprocessingSettings; labels?: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError(`${file}: not a readable JSON sidecar (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DataError(`${file}: the sidecar must be a JSON object`);
  // With an `input` object the file is `{ input, labels }`; without, the object is the settings.
  if (typeof (json as { input?: unknown }).input === 'object') {
    const r = check(SidecarSchema, json);
    if (!r.ok) throw new DataError(`${file}: ${r.error}`);
    return { settings: r.value.input, labels: r.value.labels };
  }
  const r = check(BareSidecarSchema, json);
  if (!r.ok) throw new DataError(`${file}: ${r.error}`);
  const { labels: names, ...settings } = r.value;
  return { settings, labels: names };
}

/** [h, w] of a checked size. */
function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** A checked per-channel value as a list, of one value or one per channel. */
function perChannelList(v: number | number[], channels: number, field: string, where: string): number[] {
  const arr = typeof v === 'number' ? [v] : v;
  if (arr.length !== 1 && arr.length !== channels) {
    throw new DataError(`${where}: field "${field}" has ${arr.length} values but the model takes ${channels} channel${channels === 1 ? '' : 's'}`);
  }
  return arr;
}

/**
 * Fills in settings from their preset and the model input, and checks them against the model: the final size
 * must be the input's height and width where the model fixes them, the channel count its channel dim.
 */
export function completePreprocessing(settings: PreprocessingSettings, input: ModelInput, where: string): Preprocessing {
  const checked = check(PreprocessingSettingsSchema, settings);
  if (!checked.ok) throw new DataError(`${where}: ${checked.error}`);
  const s: PreprocessingSettings = { ...(settings.preset ? preset(settings.preset) : {}), ...stripUndefined(settings) };
  const shown = `input ${input.name} [${input.shape.join(', ')}]`;
  const modelChannels = input.channels;
  const channels = s.channels ?? modelChannels;
  if (channels !== 1 && channels !== 3) throw new DataError(`${where}: "channels" must be 1 or 3, got ${JSON.stringify(channels)}`);
  if (modelChannels && channels !== modelChannels) {
    throw new DataError(`${where}: the preprocessing gives ${channels} channel${channels === 1 ? '' : 's'} but the model's ${shown} takes ${modelChannels}`);
  }
  const centerCrop = s.centerCrop === undefined || s.centerCrop === null ? null : pair(s.centerCrop);
  const resize = s.resize === undefined || s.resize === null ? null : typeof s.resize === 'number' ? s.resize : pair(s.resize);
  let size: [number, number] | undefined = s.size !== undefined ? pair(s.size) : (centerCrop ?? undefined);
  if (!size) {
    if (input.height > 0 && input.width > 0) size = [input.height, input.width];
    else throw new DataError(`${where}: no image size given and the model's ${shown} does not fix it; set "size" in the sidecar`);
  }
  if ((input.height > 0 && size[0] !== input.height) || (input.width > 0 && size[1] !== input.width)) {
    throw new DataError(
      `${where}: the preprocessing gives ${size[0]}x${size[1]} images but the model's ${shown} takes ${input.height || '?'}x${input.width || '?'} (height x width); fix "size"/"centerCrop" or use another preset`,
    );
  }
  for (const [field, value] of [
    ['size', size],
    ['resize', resize],
    ['centerCrop', centerCrop],
  ] as const) {
    const sides = value === null ? [] : typeof value === 'number' ? [value] : value;
    if (sides.some((side) => side > MAX_IMAGE_SIDE)) {
      throw new DataError(
        `${where}: field "${field}" ${JSON.stringify(value)} is larger than ${MAX_IMAGE_SIDE} pixels, more than NeurFlow decodes an image to`,
      );
    }
  }
  const scale = s.scale ?? 1 / 255;
  const mean = perChannelList(s.mean ?? [0], channels, 'mean', where);
  const std = perChannelList(s.std ?? [1], channels, 'std', where);
  if (std.some((v) => v === 0)) throw new DataError(`${where}: field "std" must not contain 0`);
  return { size, channels, scale, mean, std, resize, centerCrop, channelOrder: s.channelOrder ?? 'RGB' };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

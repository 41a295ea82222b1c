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
import { DataError } from '../errors';
import type { ModelInput } from '../onnx/model';
import type { Preprocessing } from './preprocess';

export type PresetName = 'imagenet' | 'none';
export const PRESETS: readonly PresetName[] = ['imagenet', 'none'];

/** Preprocessing fields as written by users: everything optional, sizes as a number or [h, w]. */
export interface PreprocessingSettings {
  preset?: PresetName;
  size?: number | [number, number];
  channels?: number;
  scale?: number;
  mean?: number[] | number;
  std?: number[] | number;
  resize?: number | [number, number] | null;
  centerCrop?: number | [number, number] | null;
  channelOrder?: 'RGB' | 'BGR';
}

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
    return { size: [224, 224], channels: 3, resize: 256, centerCrop: [224, 224], scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: 'RGB' };
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
  const obj = json as Record<string, unknown>;
  const settings = (typeof obj.input === 'object' && obj.input !== null ? obj.input : obj) as PreprocessingSettings;
  const labels = obj.labels;
  if (labels !== undefined && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string'))) {
    throw new DataError(`${file}: field "labels" must be a list of strings`);
  }
  return { settings, labels: labels as string[] | undefined };
}

function pair(v: unknown, field: string, where: string): [number, number] {
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (ok(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0], v[1]];
  throw new DataError(`${where}: field "${field}" must be a positive integer or [height, width], got ${JSON.stringify(v)}`);
}

function perChannel(v: unknown, channels: number, field: string, where: string): number[] {
  const arr = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(arr) || !arr.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new DataError(`${where}: field "${field}" must be a number or a list of numbers, got ${JSON.stringify(v)}`);
  }
  if (arr.length !== 1 && arr.length !== channels) {
    throw new DataError(`${where}: field "${field}" has ${arr.length} values but the model takes ${channels} channel${channels === 1 ? '' : 's'}`);
  }
  return arr as number[];
}

/**
 * Fills in settings from their preset and the model input, and checks them against the model: the final size
 * must be the input's height and width where the model fixes them, the channel count its channel dim.
 */
export function completePreprocessing(settings: PreprocessingSettings, input: ModelInput, where: string): Preprocessing {
  if (settings.preset !== undefined && !PRESETS.includes(settings.preset)) {
    throw new DataError(`${where}: unknown preset "${settings.preset}" (known: ${PRESETS.join(', ')})`);
  }
  const s: PreprocessingSettings = { ...(settings.preset ? preset(settings.preset) : {}), ...stripUndefined(settings) };
  const shown = `input ${input.name} [${input.shape.join(', ')}]`;
  const modelChannels = input.channels;
  const channels = s.channels ?? modelChannels;
  if (channels !== 1 && channels !== 3) throw new DataError(`${where}: "channels" must be 1 or 3, got ${JSON.stringify(channels)}`);
  if (modelChannels && channels !== modelChannels) {
    throw new DataError(`${where}: the preprocessing gives ${channels} channel${channels === 1 ? '' : 's'} but the model's ${shown} takes ${modelChannels}`);
  }
  const centerCrop = s.centerCrop === undefined || s.centerCrop === null ? null : pair(s.centerCrop, 'centerCrop', where);
  const resize = s.resize === undefined || s.resize === null ? null
    : typeof s.resize === 'number' ? pair(s.resize, 'resize', where)[0] : pair(s.resize, 'resize', where);
  let size: [number, number] | undefined = s.size !== undefined ? pair(s.size, 'size', where) : centerCrop ?? undefined;
  if (!size) {
    if (input.height > 0 && input.width > 0) size = [input.height, input.width];
    else throw new DataError(`${where}: no image size given and the model's ${shown} does not fix it; set "size" in the sidecar`);
  }
  if ((input.height > 0 && size[0] !== input.height) || (input.width > 0 && size[1] !== input.width)) {
    throw new DataError(`${where}: the preprocessing gives ${size[0]}x${size[1]} images but the model's ${shown} takes ${input.height || '?'}x${input.width || '?'} (height x width); fix "size"/"centerCrop" or use another preset`);
  }
  const scale = s.scale ?? 1 / 255;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) throw new DataError(`${where}: "scale" must be a positive number, got ${JSON.stringify(scale)}`);
  const mean = perChannel(s.mean ?? [0], channels, 'mean', where);
  const std = perChannel(s.std ?? [1], channels, 'std', where);
  if (std.some((v) => v === 0)) throw new DataError(`${where}: "std" must not contain 0`);
  const channelOrder = s.channelOrder ?? 'RGB';
  if (channelOrder !== 'RGB' && channelOrder !== 'BGR') throw new DataError(`${where}: "channelOrder" must be "RGB" or "BGR", got ${JSON.stringify(channelOrder)}`);
  return { size, channels, scale, mean, std, resize, centerCrop, channelOrder };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

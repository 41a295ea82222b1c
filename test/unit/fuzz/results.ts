/**
 * Mutated result documents and panel messages for the fuzz suite and bench/fuzz.ts. A document goes through the
 * result loader (parseResult: JSON, schema, references) and, when it loads, through what the panel and the
 * commands do with it without a model run: the panel's message check of the `result` view, the groups, their
 * crops and data labels, re-grouping a layer, the CLI summary. Webview messages go through the panel's check.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { regroupDocument } from '../../../src/engine/analysis/regroup';
import { allGroups, feedingUnits, groupCrops } from '../../../src/engine/labels/group-crops';
import { dataLabel } from '../../../src/engine/labels/fallback';
import { parseResult } from '../../../src/engine/result/store';
import { parseFromWebview, parseToWebview } from '../../../src/protocol/webview';
import { summariseResult } from '../../../src/cli/commands/analysis-common';
import { REPO_ROOT } from '../../helpers/shared';
import { jsonPaths, mutateBytes, mutateJson, oddValue, type Rng } from './harness';

export const RESULT_FIXTURE = path.join(REPO_ROOT, 'test', 'fixture', 'debug', 'shortcut-triangle.neurflow-result.json');

export interface ResultBase {
  text: string;
  value: unknown;
  paths: (string | number)[][];
}

/** The committed real result, its thumbnails dropped (smaller, faster to mutate; still a valid document). */
export function resultBase(): ResultBase {
  const value = JSON.parse(readFileSync(RESULT_FIXTURE, 'utf8')) as { crops: { thumbnails: Record<string, string> } };
  const kept = Object.entries(value.crops.thumbnails).slice(0, 8);
  value.crops.thumbnails = Object.fromEntries(kept);
  return { text: JSON.stringify(value), value, paths: jsonPaths(value, 3) };
}

/** A mutant document as JSON text. */
export function mutateResult(rng: Rng, base: ResultBase): { text: string; what: string } {
  if (rng.chance(0.15)) {
    const { bytes, what } = mutateBytes(rng, new TextEncoder().encode(base.text));
    return { text: new TextDecoder().decode(bytes), what: `text ${what}` };
  }
  let { value, what } = mutateJson(rng, base.value, base.paths);
  if (rng.chance(0.3)) {
    const again = mutateJson(rng, value, jsonPaths(value, 3));
    value = again.value;
    what += `, ${again.what}`;
  }
  return { text: JSON.stringify(value), what };
}

/** The loader and everything that reads a loaded document; throws what they throw. */
export function exerciseResult(text: string): void {
  const doc = parseResult(text, 'fuzz.neurflow-result.json');
  const view = parseToWebview({ type: 'result', doc, file: '/tmp/fuzz.neurflow-result.json', datasetRoot: '/tmp/data' });
  if (!view) throw new Error('the panel refused a document the loader accepted');
  summariseResult(doc);
  for (const ref of allGroups(doc).slice(0, 6)) {
    groupCrops(doc, ref);
    feedingUnits(doc, ref);
    dataLabel(doc, ref, 'fuzz');
  }
  const grouped = doc.layers.find((l) => l.grouping);
  if (grouped) regroupDocument(doc, grouped.name, 2);
}

/** Valid messages of each kind the webview sends. */
const FROM_WEBVIEW: unknown[] = [
  { type: 'ready' },
  { type: 'rendered', view: 'circuit', items: ['fc/G0'] },
  { type: 'openFile', path: '/w/train.py', line: 3 },
  { type: 'openImage', path: '/data/a.png' },
  { type: 'selectGroup', layer: 'fc', group: 0, groupCount: 2 },
  { type: 'setGroupCount', layer: 'fc', count: 3 },
  { type: 'jumpToCode', layer: 'layer1.0', tensor: 't', group: 1 },
  { type: 'explainImage', requestId: 1, image: 'a.png', layer: 'fc', groupCount: 2 },
  { type: 'maskGroup', requestId: 2, image: 'a.png', layer: 'fc', group: 0, groupCount: 2, channels: [1, 2], classIndex: 0 },
  { type: 'labelGroups', layer: 'fc', group: 0, groupCount: 2 },
  { type: 'setLabel', layer: 'fc', group: 0, text: 'wheel' },
  { type: 'runAudit', requestId: 3 },
  { type: 'exportAudit', csv: 'path,label\n' },
  { type: 'failure', message: 'x' },
];

/** A mutated webview message (valid ones changed by one field, or junk). */
export function mutateMessage(rng: Rng): { value: unknown; what: string } {
  if (rng.chance(0.1)) return { value: oddValue(rng), what: 'junk' };
  const base = rng.pick(FROM_WEBVIEW);
  if (rng.chance(0.1)) return { value: base, what: 'valid' };
  return mutateJson(rng, base, jsonPaths(base));
}

/** The panel's check of a message from the webview; throws only if the check itself breaks. */
export function exerciseMessage(value: unknown): void {
  const parsed = parseFromWebview(value);
  if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string')) {
    throw new Error(`the check let through ${JSON.stringify(parsed)}`);
  }
}

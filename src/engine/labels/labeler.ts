/**
 * Labelling the groups of a result: with a multimodal language model behind a small port (the extension plugs
 * in `vscode.lm`; the engine knows nothing of VS Code), each group gets a label from its crops and those of the
 * lower units that feed it, then the label check's confidence; without a model, or when the model fails for a
 * group, the data label with the reason. User labels are kept unless asked otherwise.
 */
import { NeurflowError } from '../errors';
import type { GroupLabel, ResultDocument } from '../result/schema';
import { buildCheck, scoreCheck, type CheckScore } from './check';
import { dataLabel, imageClasses, type ImageClassOf } from './fallback';
import { findGroup, type GroupRef } from './group-crops';
import { parseCheckResponse, parseLabelResponse } from './parse';
import { buildCheckPrompt, buildLabelPrompt, type LabelPromptOptions, type PromptPart } from './prompt';

/** A multimodal language model, as the labeller sees it. */
export interface LanguageModelPort {
  /** Recorded with its labels, e.g. "GPT-4o (copilot)". */
  readonly name: string;
  /** Sends one user message of text and image parts; resolves with the whole reply text. Rejects when `signal`
   * aborts. Throws `LanguageModelUnavailable` when no further request can succeed (no permission, quota). */
  ask(parts: PromptPart[], signal?: AbortSignal): Promise<string>;
}

/** The model cannot be used any more in this run (the rest of the groups get data labels with this reason). */
export class LanguageModelUnavailable extends NeurflowError {}

export interface LabelOutcome {
  ref: GroupRef;
  /** The label set on the group (absent when skipped). */
  label?: GroupLabel;
  /** Kept the user's own label. */
  keptUserLabel?: boolean;
  /** What went wrong with the language model for this group (the label is then the data label). */
  error?: string;
  check?: CheckScore;
}

export interface LabelRunOptions {
  /** The language model; absent: data labels for all, with `noModelReason`. */
  model?: LanguageModelPort;
  /** Why there is no model, e.g. "No language model available: no chat model is installed". */
  noModelReason?: string;
  classOf?: ImageClassOf;
  /** Replace labels the user wrote (default false: keep them). */
  replaceUserLabels?: boolean;
  /** Run the label check (default true). */
  check?: boolean;
  prompt?: LabelPromptOptions;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, ref: GroupRef) => void;
}

export interface LabelRun {
  doc: ResultDocument;
  outcomes: LabelOutcome[];
  /** Stopped by the signal: `doc` has the labels made before. */
  cancelled: boolean;
  /** Set when the run switched to data labels because the model became unusable. */
  modelUnavailable?: string;
}

/** A copy of the document with `label` on the group (undefined removes it). */
export function withLabel(doc: ResultDocument, ref: GroupRef, label: GroupLabel | undefined): ResultDocument {
  const { layerIndex, index } = findGroup(doc, ref);
  const layers = doc.layers.map((l, i) => {
    if (i !== layerIndex || !l.grouping) return l;
    const groups = l.grouping.groups.map((g, k) => {
      if (k !== index) return g;
      const { label: _old, ...rest } = g;
      return label ? { ...rest, label } : rest;
    });
    return { ...l, grouping: { ...l.grouping, groups } };
  });
  return { ...doc, layers };
}

/** The user's own label for a group (blank text removes the label). */
export function setUserLabel(doc: ResultDocument, ref: GroupRef, text: string): ResultDocument {
  const t = text.replace(/\s+/g, ' ').trim();
  return withLabel(doc, ref, t ? { text: t, source: 'user' } : undefined);
}

const isAbort = (e: unknown, signal?: AbortSignal) => signal?.aborted === true || (e as Error)?.name === 'AbortError';
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Label one group with the model: label request, then the check. Throws what the model or parsing throws. */
export async function modelLabel(
  doc: ResultDocument,
  ref: GroupRef,
  model: LanguageModelPort,
  options: Pick<LabelRunOptions, 'check' | 'prompt' | 'signal'> = {},
): Promise<{ label: GroupLabel; check?: CheckScore; checkError?: string }> {
  const prompt = buildLabelPrompt(doc, ref, options.prompt);
  const parsed = parseLabelResponse(await model.ask(prompt.parts, options.signal));
  const label: GroupLabel = { text: parsed.label, source: 'language-model', model: model.name };
  if (parsed.description) label.detail = parsed.description;
  if (options.check === false) return { label };
  const items = buildCheck(doc, ref, { shown: prompt.crops });
  if (!items) return { label, checkError: 'not enough crops with thumbnails for the label check' };
  let chosen: number[];
  try {
    chosen = parseCheckResponse(await model.ask(buildCheckPrompt(doc, label.text, items), options.signal), items.length);
  } catch (e) {
    if (isAbort(e, options.signal) || e instanceof LanguageModelUnavailable) throw e;
    return { label, checkError: `label check failed: ${messageOf(e)}` };
  }
  const check = scoreCheck(items, chosen);
  return { label: { ...label, confidence: check.confidence, check: { correct: check.correct, total: check.total } }, check };
}

/** Labels `targets` (e.g. `allGroups(doc)`) and returns the updated document with what happened per group. */
export async function labelGroups(doc: ResultDocument, targets: readonly GroupRef[], options: LabelRunOptions = {}): Promise<LabelRun> {
  const classOf = options.classOf ?? imageClasses(doc);
  let reason = options.model ? undefined : (options.noModelReason ?? 'No language model available');
  let modelUnavailable: string | undefined;
  const outcomes: LabelOutcome[] = [];
  let current = doc;
  for (const [k, ref] of targets.entries()) {
    if (options.signal?.aborted) return { doc: current, outcomes, cancelled: true, modelUnavailable };
    options.onProgress?.(k, targets.length, ref);
    const { grouping, index } = findGroup(current, ref);
    if (grouping.groups[index].label?.source === 'user' && !options.replaceUserLabels) {
      outcomes.push({ ref, label: grouping.groups[index].label, keptUserLabel: true });
      continue;
    }
    const outcome: LabelOutcome = { ref };
    if (options.model && reason === undefined) {
      try {
        const r = await modelLabel(current, ref, options.model, options);
        outcome.label = r.label;
        if (r.check) outcome.check = r.check;
        if (r.checkError) outcome.error = r.checkError;
      } catch (e) {
        if (isAbort(e, options.signal)) return { doc: current, outcomes, cancelled: true, modelUnavailable };
        if (e instanceof LanguageModelUnavailable) {
          reason = `The language model ${options.model.name} cannot be used: ${e.message}`;
          modelUnavailable = reason;
        } else {
          outcome.error = `${options.model.name}: ${messageOf(e)}`;
          outcome.label = dataLabel(current, ref, `The language model ${options.model.name} failed on this group: ${messageOf(e)}`, classOf);
        }
      }
    }
    outcome.label ??= dataLabel(current, ref, reason ?? 'No language model available', classOf);
    current = withLabel(current, ref, outcome.label);
    outcomes.push(outcome);
  }
  options.onProgress?.(targets.length, targets.length, targets[targets.length - 1] ?? { layer: '', group: 0 });
  return { doc: current, outcomes, cancelled: false, modelUnavailable };
}

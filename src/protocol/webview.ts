/**
 * Extension host <-> webview protocol (`postMessage`). One module, imported by both ends; messages are
 * discriminated on `type` and checked on arrival with `parseToWebview` / `parseFromWebview`.
 *
 * Handshake: the webview posts `ready` once its script has loaded (and again after every reload of its
 * document); the host holds its messages until then and replays the panel's current state after a reload.
 * To add a view: a message carrying its data here, a module in `webview/views/`, a case in `webview/main.ts`.
 *
 * View messages (`isViewMessage`: loading, model, error, batch, result) replace what the panel shows: the host
 * keeps the last one and replays it after `ready`. The others are transient (answers to requests, the activity
 * banner, notices): the host sends them when they happen and never replays them.
 *
 * The result panel (issue 7): the host sends `result` (a ResultDocument, the full dataset scan, and where the
 * dataset's images are for the webview). Everything else happens in the webview without the host (circuit,
 * groups, re-grouping at another count with the engine's pure functions), except what needs a model run or the
 * editor: `explainImage` -> `explanation`, `maskGroup` -> `maskResult`, `jumpToCode`, `openImage`, `openFile`,
 * and the group labels (issue 8): `labelGroups` (-> command `neurflow.labelGroups`) and `setLabel` (-> command
 * `neurflow.setGroupLabel`) on the panel's result file; the host answers by posting the updated `result` (the
 * webview re-renders with the labels) and a `notice` that says where the labels came from, or why not.
 * Images are named by their path relative to the dataset root, `/`-separated, as in `doc.class.images` and
 * `scan.images[].path`; boxes are `[x0, y0, x1, y1]` in model-input pixels (x1/y1 exclusive), like crop rows.
 */
import type { ScanResult } from '../engine/data/scan';
import { validateResult, type ResultDocument } from '../engine/result/schema';
import { isAuditView, type AuditView } from './audit';
import { isBatchMessage, type BatchMessage, type ClassProb } from './batch';
import { isModelSummary, type ModelSummary } from './summary';

// ---------------------------------------------------------------------------------------------------------
// host -> webview

/** The panel is working on a model (shown until `model` or `error` arrives). */
export interface LoadingMessage { type: 'loading'; fileName: string; stage: string }

/** The model summary view: inputs, outputs, operators and detected layers. */
export interface ModelMessage { type: 'model'; summary: ModelSummary }

/** Something failed; `title` names the subject (the model file), `message` says what and where. */
export interface ErrorViewMessage { type: 'error'; title: string; message: string }

/** The tabs of the result panel. */
export type ResultTab = 'circuit' | 'group' | 'mistakes';

/**
 * A class analysis: the Circuit, Group and Mistakes views. Sent when an analysis finishes (or is cancelled with
 * finished layers: `doc.complete` false), when a saved result is reopened, and replayed after `ready`.
 */
export interface ResultViewMessage {
  type: 'result';
  doc: ResultDocument;
  /** The saved result file (workspace storage or an exported `.neurflow-result.json`), shown as the source. */
  file?: string;
  /** The full scan of the dataset (accuracy, confusion, mistakes, label issues) for the Mistakes view. Absent:
   * the view shows `doc.scan`'s accuracy and confusion only. */
  scan?: ScanResult;
  /** Absolute path of the dataset root (`doc.dataset.root` may be relative to where the CLI ran): `openImage`
   * paths are `datasetRoot + '/' + relative path`. Absent: images cannot be opened. */
  datasetRoot?: string;
  /** `webview.asWebviewUri(datasetRoot)` as a string, WITHOUT trailing slash: an image's URI is
   * `imageBase + '/' + encodeURI(relative path)`. The root must be in the panel's `localResourceRoots`.
   * Absent (untrusted workspace, dataset moved): the views show the crop thumbnails of the result only. */
  imageBase?: string;
  /** Tab to show (absent: the one the panel showed for the same result, else circuit). */
  tab?: ResultTab;
  /** True when explain/mask requests cannot run (untrusted workspace, model missing): the actions are hidden. */
  readOnly?: boolean;
}

/** One group as it shows on one image (DESIGN 3.3 step 7). */
export interface ImageGroupScore {
  /** Index of the group in the layer's grouping at `groupCount`. */
  group: number;
  /** exp(max log-barrier over the image's crops); >= the threshold means the group's concept is present. */
  score: number;
  /** Crops of the image where the group fires, in model-input pixels. */
  evidence: [number, number, number, number][];
  /** The crop with the highest score. */
  bestBox: [number, number, number, number];
}

/** Answer to `explainImage`: the groups of `layer` on the image, highest score first. */
export interface ExplanationMessage {
  type: 'explanation';
  requestId: number;
  image: string;
  layer: string;
  groupCount: number;
  threshold: number;
  groups: ImageGroupScore[];
  /** The model's top predictions on the image. */
  top?: ClassProb[];
  /** Set instead of a useful `groups` when the request failed (names what failed). */
  error?: string;
}

/** Answer to `maskGroup`: the model re-run with the group's channels zeroed at its layer (DESIGN 3.3 step 8). */
export interface MaskResultMessage {
  type: 'maskResult';
  requestId: number;
  image: string;
  layer: string;
  group: number;
  classIndex: number;
  /** Probability of `classIndex` before and after masking. */
  before: number;
  after: number;
  /** Top predictions before and after. */
  topBefore: ClassProb[];
  top: ClassProb[];
  error?: string;
}

/** The analysis banner: shown over whatever the panel shows while an analysis runs; `running: false` hides it. */
export interface ActivityMessage {
  type: 'activity';
  running: boolean;
  /** E.g. "Analysing shortcut-resnet.onnx, class triangle". */
  title?: string;
  /** The progress stage, e.g. "Layer layer3.1: core neurons 12/40". */
  stage?: string;
  done?: number;
  total?: number;
}

/** A short line for the user inside the panel (e.g. "No Python definition of layer3.1 found"). */
export interface NoticeMessage { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string }

/** The Mistakes view fed with a batch from a paused debug session (Explain Batch): see ./batch.ts. */
/** Answer to `runAudit` (issue 16): label errors, shortcut mistakes and the shortcuts found, or why not. */
export interface AuditMessage { type: 'audit'; requestId: number; report?: AuditView; error?: string }

export type ToWebview = AuditMessage | LoadingMessage | ModelMessage | ErrorViewMessage | BatchMessage | ResultViewMessage |
  ExplanationMessage | MaskResultMessage | ActivityMessage | NoticeMessage;

/** Messages that define what the panel shows (kept by the host and replayed after `ready`). */
export type ViewMessage = LoadingMessage | ModelMessage | ErrorViewMessage | BatchMessage | ResultViewMessage;

export function isViewMessage(m: ToWebview): m is ViewMessage {
  return m.type === 'loading' || m.type === 'model' || m.type === 'error' || m.type === 'batch' || m.type === 'result';
}

// ---------------------------------------------------------------------------------------------------------
// webview -> host

/** The webview's script is running and listening. */
export interface ReadyMessage { type: 'ready' }

/**
 * Every host message is acknowledged with `rendered` of its own `type`; the result panel's tabs add theirs, the
 * Group view its label (`label`), the batch view its selected sample (`sample`).
 */
export type RenderedView = ToWebview['type'] | ResultTab | 'label' | 'sample';
const RENDERED_VIEWS: readonly RenderedView[] = ['model', 'error', 'loading', 'batch', 'result', 'explanation',
  'maskResult', 'activity', 'notice', 'circuit', 'group', 'mistakes', 'label', 'sample', 'audit'];

/**
 * A view finished rendering; `items` lists what it shows: model: the layer names; result: the layer names
 * (top first); circuit: the group nodes `layer/G<index>`; group: the crop ids shown; label: the group shown
 * (`layer/G<index>`), its label text ('' when none) and the origin line as shown ('' when none); mistakes: the
 * image paths of the gallery; explanation: `layer/G<index>` of the ranked groups; maskResult: the top class names
 * after masking; batch: the misclassified sample indices; sample: the selected batch sample's index, then
 * `layer/G<index>` of each group listed for it; activity, notice: the text shown.
 */
export interface RenderedMessage { type: 'rendered'; view: RenderedView; items: string[] }

/** The user asked to open a file (the model, a source line of a paused debug session) in an editor. */
export interface OpenFileMessage { type: 'openFile'; path: string; /** 1-based. */ line?: number }

/** The user clicked an image: open the file (absolute path) in an editor (the image preview). */
export interface OpenImageMessage { type: 'openImage'; path: string }

/** The user selected a group (host: remember it, e.g. for tests and for the next reopen). */
export interface SelectGroupMessage { type: 'selectGroup'; layer: string; group: number; groupCount: number }

/** The user changed a layer's group count (null: back to the silhouette's choice). The webview re-groups by
 * itself (regroupLayer, no model run); the host may persist it (`regroupDocument` + save) for the next reopen. */
export interface SetGroupCountMessage { type: 'setGroupCount'; layer: string; count: number | null }

/** Open the definition of a layer's module in the workspace's training code. */
export interface JumpToCodeMessage {
  type: 'jumpToCode';
  layer: string;
  /** The layer's tensor in the ONNX graph (its producer node carries the name scope / stack trace). */
  tensor: string;
  /** Set when asked from a group (for the host's message only). */
  group?: number;
}

/**
 * Debug one image against the result at `layer` (host: `debugImages` with `groups: groupCount`), answered by
 * `explanation` with the same `requestId`.
 */
export interface ExplainImageRequest { type: 'explainImage'; requestId: number; image: string; layer: string; groupCount: number }

/**
 * Zero `channels` (the group's member neurons) of `layer` on `image`, re-run the suffix, and answer `maskResult`
 * with the same `requestId` for class `classIndex` (host: `maskEffect`).
 */
export interface MaskGroupRequest {
  type: 'maskGroup';
  requestId: number;
  image: string;
  layer: string;
  group: number;
  groupCount: number;
  channels: number[];
  classIndex: number;
}

/**
 * Label groups of the panel's result (issue 8; host: command `neurflow.labelGroups` on the result file): with a
 * language model after the user's consent, else from the data with the reason. No layer: every group; a layer:
 * its groups; a layer and a group: that group. `groupCount`: the layer's group count the webview shows; the host
 * refuses when the saved result groups the layer differently (labels belong to the saved grouping).
 */
export interface LabelGroupsRequest { type: 'labelGroups'; layer?: string; group?: number; groupCount?: number }

/** The user's own label for a group (host: command `neurflow.setGroupLabel`); blank text removes the label. */
export interface SetLabelMessage { type: 'setLabel'; layer: string; group: number; text: string; groupCount?: number }

/** Longest label the webview may send (a label is a few words). */
export const MAX_LABEL_LENGTH = 200;

/** An unexpected failure inside the webview, reported to the host's log. */
/** Label error or shortcut? (issue 16): audit the dataset of the result shown; answered with `audit`. */
export interface RunAuditRequest { type: 'runAudit'; requestId: number }

/** Save the audit's lists as CSV (`path,label,suggested,kind`) where the user picks. */
export interface ExportAuditMessage { type: 'exportAudit'; csv: string }

export interface WebviewFailureMessage { type: 'failure'; message: string }

export type FromWebview = RunAuditRequest | ExportAuditMessage | ReadyMessage | RenderedMessage | OpenFileMessage | OpenImageMessage | SelectGroupMessage |
  SetGroupCountMessage | JumpToCodeMessage | ExplainImageRequest | MaskGroupRequest | LabelGroupsRequest | SetLabelMessage |
  WebviewFailureMessage;

// ---------------------------------------------------------------------------------------------------------
// runtime checks

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isInt = (x: unknown): x is number => Number.isInteger(x);
const isOptStr = (x: unknown) => x === undefined || isStr(x);
const isIndex = (x: unknown) => isInt(x) && x >= 0;
const isOptCount = (x: unknown) => x === undefined || (isInt(x) && x >= 1);
const isBox = (x: unknown) => Array.isArray(x) && x.length === 4 && x.every(isNum);
const isClassProbs = (x: unknown) => Array.isArray(x) && x.every((p) => isObject(p) && isInt(p.class) && isStr(p.name) && isNum(p.prob));

function isScan(x: unknown): boolean {
  return isObject(x) && Array.isArray(x.images) && Array.isArray(x.classes) && Array.isArray(x.confusion) &&
    Array.isArray(x.mistakes) && isObject(x.labelIssues) && isNum(x.accuracy);
}

function checkResult(x: Record<string, unknown>): ResultViewMessage | undefined {
  try {
    validateResult(x.doc, 'result message');
  } catch {
    return undefined;
  }
  const tabs: unknown[] = ['circuit', 'group', 'mistakes'];
  if (!isOptStr(x.file) || !isOptStr(x.datasetRoot) || !isOptStr(x.imageBase)) return undefined;
  if (x.scan !== undefined && !isScan(x.scan)) return undefined;
  if (x.tab !== undefined && !tabs.includes(x.tab)) return undefined;
  return x as unknown as ResultViewMessage;
}

function checkExplanation(x: Record<string, unknown>): ExplanationMessage | undefined {
  const ok = isInt(x.requestId) && isStr(x.image) && isStr(x.layer) && isInt(x.groupCount) && isNum(x.threshold) &&
    Array.isArray(x.groups) && x.groups.every((g) => isObject(g) && isInt(g.group) && isNum(g.score) &&
      Array.isArray(g.evidence) && g.evidence.every(isBox) && isBox(g.bestBox)) &&
    (x.top === undefined || isClassProbs(x.top)) && isOptStr(x.error);
  return ok ? (x as unknown as ExplanationMessage) : undefined;
}

function checkMask(x: Record<string, unknown>): MaskResultMessage | undefined {
  const ok = isInt(x.requestId) && isStr(x.image) && isStr(x.layer) && isInt(x.group) && isInt(x.classIndex) &&
    isNum(x.before) && isNum(x.after) && isClassProbs(x.topBefore) && isClassProbs(x.top) && isOptStr(x.error);
  return ok ? (x as unknown as MaskResultMessage) : undefined;
}

/** The checked message, or undefined for anything that is not one (logged by the caller). */
export function parseToWebview(x: unknown): ToWebview | undefined {
  if (!isObject(x)) return undefined;
  switch (x.type) {
    case 'loading': return isStr(x.fileName) && isStr(x.stage) ? (x as unknown as LoadingMessage) : undefined;
    case 'model': return isModelSummary(x.summary) ? (x as unknown as ModelMessage) : undefined;
    case 'error': return isStr(x.title) && isStr(x.message) ? (x as unknown as ErrorViewMessage) : undefined;
    case 'batch': return isBatchMessage(x) ? x : undefined;
    case 'result': return checkResult(x);
    case 'explanation': return checkExplanation(x);
    case 'maskResult': return checkMask(x);
    case 'audit':
      return isInt(x.requestId) && (x.report === undefined || isAuditView(x.report)) && isOptStr(x.error) ? (x as unknown as AuditMessage) : undefined;
    case 'activity':
      return typeof x.running === 'boolean' && isOptStr(x.title) && isOptStr(x.stage) &&
        (x.done === undefined || isNum(x.done)) && (x.total === undefined || isNum(x.total)) ? (x as unknown as ActivityMessage) : undefined;
    case 'notice':
      return (x.level === 'info' || x.level === 'warning' || x.level === 'error') && isStr(x.message) ? (x as unknown as NoticeMessage) : undefined;
    default: return undefined;
  }
}

export function parseFromWebview(x: unknown): FromWebview | undefined {
  if (!isObject(x)) return undefined;
  switch (x.type) {
    case 'ready': return { type: 'ready' };
    case 'rendered':
      return RENDERED_VIEWS.includes(x.view as RenderedView) && Array.isArray(x.items) && x.items.every(isStr)
        ? (x as unknown as RenderedMessage) : undefined;
    case 'openFile':
      return isStr(x.path) && (x.line === undefined || (isInt(x.line) && x.line >= 1)) ? (x as unknown as OpenFileMessage) : undefined;
    case 'openImage': return isStr(x.path) ? (x as unknown as OpenImageMessage) : undefined;
    case 'selectGroup':
      return isStr(x.layer) && isInt(x.group) && isInt(x.groupCount) ? (x as unknown as SelectGroupMessage) : undefined;
    case 'setGroupCount':
      return isStr(x.layer) && (x.count === null || (isInt(x.count) && x.count >= 1)) ? (x as unknown as SetGroupCountMessage) : undefined;
    case 'jumpToCode':
      return isStr(x.layer) && isStr(x.tensor) && (x.group === undefined || isInt(x.group)) ? (x as unknown as JumpToCodeMessage) : undefined;
    case 'explainImage':
      return isInt(x.requestId) && isStr(x.image) && isStr(x.layer) && isInt(x.groupCount) ? (x as unknown as ExplainImageRequest) : undefined;
    case 'maskGroup':
      return isInt(x.requestId) && isStr(x.image) && isStr(x.layer) && isInt(x.group) && isInt(x.groupCount) &&
        Array.isArray(x.channels) && x.channels.every(isInt) && isInt(x.classIndex) ? (x as unknown as MaskGroupRequest) : undefined;
    case 'labelGroups':
      return (x.layer === undefined || isStr(x.layer)) && (x.group === undefined || (isStr(x.layer) && isIndex(x.group))) &&
        isOptCount(x.groupCount) ? (x as unknown as LabelGroupsRequest) : undefined;
    case 'setLabel':
      return isStr(x.layer) && isIndex(x.group) && isStr(x.text) && x.text.length <= MAX_LABEL_LENGTH && isOptCount(x.groupCount)
        ? (x as unknown as SetLabelMessage) : undefined;
    case 'failure': return isStr(x.message) ? (x as unknown as WebviewFailureMessage) : undefined;
    case 'runAudit': return isInt(x.requestId) ? (x as unknown as RunAuditRequest) : undefined;
    case 'exportAudit': return isStr(x.csv) ? (x as unknown as ExportAuditMessage) : undefined;
    default: return undefined;
  }
}

/** An image's webview URI from a result message (undefined when the host gave no image base). */
export function imageUri(m: Pick<ResultViewMessage, 'imageBase'>, relativePath: string): string | undefined {
  if (!m.imageBase) return undefined;
  return `${m.imageBase}/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}

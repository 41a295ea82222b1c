/**
 * Extension host <-> webview protocol (`postMessage`). One module, imported by both ends; messages are
 * discriminated on `type`, declared once as valibot schemas (the types are inferred) and checked on arrival with
 * `parseToWebview` / `parseFromWebview`.
 *
 * Handshake: the webview posts `ready` once its script has loaded (and again after every reload of its
 * document); the host holds its messages until then and replays the panel's current state after a reload.
 * To add a view: a message carrying its data here, a module in `webview/views/`, a case in `webview/main.ts`.
 *
 * View messages (`isViewMessage`: loading, model, error, batch, result) replace what the panel shows: the host
 * keeps the last one and replays it after `ready`. The others are transient (answers to requests, the activity
 * banner, notices): the host sends them when they happen and never replays them.
 *
 * The result panel: the host sends `result` (a ResultDocument, the full dataset scan, and where the
 * dataset's images are for the webview). Everything else happens in the webview without the host (circuit,
 * groups, re-grouping at another count with the engine's pure functions), except what needs a model run or the
 * editor: `explainImage` -> `explanation`, `maskGroup` -> `maskResult`, `jumpToCode`, `openImage`, `openFile`,
 * and the group labels: `labelGroups` (-> command `neurflow.labelGroups`) and `setLabel` (-> command
 * `neurflow.setGroupLabel`) on the panel's result file; the host answers by posting the updated `result` (the
 * webview re-renders with the labels) and a `notice` that says where the labels came from, or why not.
 * Images are named by their path relative to the dataset root, `/`-separated, as in `doc.class.images` and
 * `scan.images[].path`; boxes are `[x0, y0, x1, y1]` in model-input pixels (x1/y1 exclusive), like crop rows.
 */
import * as v from 'valibot';
import type { ScanResult } from '../engine/data/scan';
import { ResultDocumentSchema } from '../engine/result/schema';
import { box, conforms, count, dict, index, int, num } from '../engine/util/checked';
import { AuditViewSchema } from './audit';
import {
  AtlasViewMessageSchema,
  CompareViewMessageSchema,
  CompareWithMessageSchema,
  OpenAtlasClassMessageSchema,
  OpenComparedMessageSchema,
  ShowAtlasMessageSchema,
  type AtlasViewMessage,
  type CompareViewMessage,
} from './atlas';
import { BatchMessageSchema, ClassProbSchema, type BatchMessage } from './batch';
import { ModelSummarySchema } from './summary';

const str = v.string();
const classProbs = v.array(ClassProbSchema);

// ---------------------------------------------------------------------------------------------------------
// host -> webview

/** The panel is working on a model (shown until `model` or `error` arrives). */
export const LoadingMessageSchema = v.object({ type: v.literal('loading'), fileName: str, stage: str });
export type LoadingMessage = v.InferOutput<typeof LoadingMessageSchema>;

/** The model summary view: inputs, outputs, operators and detected layers. */
export const ModelMessageSchema = v.object({ type: v.literal('model'), summary: ModelSummarySchema });
export type ModelMessage = v.InferOutput<typeof ModelMessageSchema>;

/**
 * The answers of Analyse Model that the panel shows and lets the user change (issue 18): the dataset folder, the
 * preprocessing, the class, the layers, tau and the Integrated Gradients steps. `changeAnswer` asks the host to
 * forget one and run again, asking only that one.
 */
export const ANSWERS = ['dataset', 'preprocessing', 'class', 'layers', 'tau', 'steps'] as const;
export type Answer = (typeof ANSWERS)[number];
const answers = v.optional(v.array(v.picklist(ANSWERS)));

/** Something failed; `title` names the subject (the model file), `message` says what and where; `changes`: the
 * answers that may have caused it (the view offers "Change <answer>" for each). */
export const ErrorViewMessageSchema = v.object({
  type: v.literal('error'),
  title: str,
  message: str,
  changes: answers,
  /** The model file the failed run was about (for `changeAnswer`). */
  model: v.optional(str),
});
export type ErrorViewMessage = v.InferOutput<typeof ErrorViewMessageSchema>;

/** The tabs of the result panel. */
export const RESULT_TABS = ['circuit', 'group', 'mistakes'] as const;
export type ResultTab = (typeof RESULT_TABS)[number];

/**
 * The dataset scan (src/engine/data/scan.ts, where its type is declared) as far as the Mistakes view relies on
 * it: the lists and the accuracy.
 */
const ScanShape = v.object({
  images: v.array(v.unknown()),
  classes: v.array(v.unknown()),
  confusion: v.array(v.unknown()),
  mistakes: v.array(v.unknown()),
  labelIssues: dict(v.unknown()),
  accuracy: num,
});
const ScanSchema = v.custom<ScanResult>((x) => conforms(ScanShape, x), 'is not a dataset scan');

/**
 * A class analysis: the Circuit, Group and Mistakes views. Sent when an analysis finishes (or is cancelled with
 * finished layers: `doc.complete` false), when a saved result is reopened, and replayed after `ready`.
 */
export const ResultViewMessageSchema = v.object({
  type: v.literal('result'),
  doc: ResultDocumentSchema,
  /** The saved result file (workspace storage or an exported `.neurflow-result.json`), shown as the source. */
  file: v.optional(str),
  /** The full scan of the dataset (accuracy, confusion, mistakes, label issues) for the Mistakes view. Absent:
   * the view shows `doc.scan`'s accuracy and confusion only. */
  scan: v.optional(ScanSchema),
  /** Absolute path of the dataset root (`doc.dataset.root` may be relative to where the CLI ran): `openImage`
   * paths are `datasetRoot + '/' + relative path`. Absent: images cannot be opened. */
  datasetRoot: v.optional(str),
  /** `webview.asWebviewUri(datasetRoot)` as a string, WITHOUT trailing slash: an image's URI is
   * `imageBase + '/' + encodeURI(relative path)`. The root must be in the panel's `localResourceRoots`.
   * Absent (untrusted workspace, dataset moved): the views show the crop thumbnails of the result only. */
  imageBase: v.optional(str),
  /** Tab to show (absent: the one the panel showed for the same result, else circuit). */
  tab: v.optional(v.picklist(RESULT_TABS)),
  /** The analysis is still running: `doc` holds the finished upper layers and more will follow. */
  running: v.optional(v.boolean()),
  /** True when explain/mask requests cannot run (untrusted workspace, model missing): the actions are hidden. */
  readOnly: v.optional(v.boolean()),
  /** Select this group (e.g. opened from a batch sample's groups): wins over the group the panel showed last. */
  group: v.optional(v.object({ layer: str, group: index })),
  /** The panel also keeps an Explain Batch (issue 18): its title, e.g. `Batch at train.py:42`; the result view
   * shows a Batch tab that asks the host for it (`showBatch`). */
  batch: v.optional(str),
  /** Opened from an atlas (issue 19): the atlas file; the panel offers the way back (`showAtlas`, ./atlas.ts). */
  atlas: v.optional(str),
});
export type ResultViewMessage = v.InferOutput<typeof ResultViewMessageSchema>;

/** One group as it shows on one image (docs/design.md 3.3 step 7). */
export const ImageGroupScoreSchema = v.object({
  /** Index of the group in the layer's grouping at `groupCount`. */
  group: index,
  /** exp(max log-barrier over the image's crops); >= the threshold means the group's concept is present. */
  score: num,
  /** Crops of the image where the group fires, in model-input pixels. */
  evidence: v.array(box),
  /** The crop with the highest score. */
  bestBox: box,
});
export type ImageGroupScore = v.InferOutput<typeof ImageGroupScoreSchema>;

/** Answer to `explainImage`: the groups of `layer` on the image, highest score first. */
export const ExplanationMessageSchema = v.object({
  type: v.literal('explanation'),
  requestId: int,
  image: str,
  layer: str,
  groupCount: int,
  threshold: num,
  groups: v.array(ImageGroupScoreSchema),
  /** The model's top predictions on the image. */
  top: v.optional(classProbs),
  /** Set instead of a useful `groups` when the request failed (names what failed). */
  error: v.optional(str),
});
export type ExplanationMessage = v.InferOutput<typeof ExplanationMessageSchema>;

/** Answer to `maskGroup`: the model re-run with the group's channels zeroed at its layer (docs/design.md 3.3 step 8). */
export const MaskResultMessageSchema = v.object({
  type: v.literal('maskResult'),
  requestId: int,
  image: str,
  layer: str,
  group: int,
  classIndex: int,
  /** Probability of `classIndex` before and after masking. */
  before: num,
  after: num,
  /** Top predictions before and after. */
  topBefore: classProbs,
  top: classProbs,
  error: v.optional(str),
});
export type MaskResultMessage = v.InferOutput<typeof MaskResultMessageSchema>;

/** The analysis banner: shown over whatever the panel shows while an analysis runs; `running: false` hides it. */
export const ActivityMessageSchema = v.object({
  type: v.literal('activity'),
  running: v.boolean(),
  /** E.g. "Analysing shortcut-resnet.onnx, class triangle". */
  title: v.optional(str),
  /** The progress stage, e.g. "Layer layer3.1: core neurons 12/40". */
  stage: v.optional(str),
  done: v.optional(num),
  total: v.optional(num),
});
export type ActivityMessage = v.InferOutput<typeof ActivityMessageSchema>;

/** A short line for the user inside the panel (e.g. "No Python definition of layer3.1 found"). */
export const NoticeMessageSchema = v.object({
  type: v.literal('notice'),
  level: v.picklist(['info', 'warning', 'error']),
  message: str,
  /** Answers that may have caused an error (the notice offers "Change <answer>" for each). */
  changes: answers,
});
export type NoticeMessage = v.InferOutput<typeof NoticeMessageSchema>;

/** Answer to `runAudit`: label errors, shortcut mistakes and the shortcuts found, or why not. */
export const AuditMessageSchema = v.object({ type: v.literal('audit'), requestId: int, report: v.optional(AuditViewSchema), error: v.optional(str) });
export type AuditMessage = v.InferOutput<typeof AuditMessageSchema>;

/** The Mistakes view fed with a batch from a paused debug session (Explain Batch): see ./batch.ts. */
export const ToWebviewSchema = v.variant('type', [
  AtlasViewMessageSchema,
  CompareViewMessageSchema,
  AuditMessageSchema,
  LoadingMessageSchema,
  ModelMessageSchema,
  ErrorViewMessageSchema,
  BatchMessageSchema,
  ResultViewMessageSchema,
  ExplanationMessageSchema,
  MaskResultMessageSchema,
  ActivityMessageSchema,
  NoticeMessageSchema,
]);
export type ToWebview = v.InferOutput<typeof ToWebviewSchema>;

/** Messages that define what the panel shows (kept by the host and replayed after `ready`). */
export type ViewMessage = LoadingMessage | ModelMessage | ErrorViewMessage | BatchMessage | ResultViewMessage | AtlasViewMessage | CompareViewMessage;

export function isViewMessage(m: ToWebview): m is ViewMessage {
  return (
    m.type === 'loading' || m.type === 'model' || m.type === 'error' || m.type === 'batch' || m.type === 'result' || m.type === 'atlas' || m.type === 'compare'
  );
}

// ---------------------------------------------------------------------------------------------------------
// webview -> host

/** The webview's script is running and listening. */
export const ReadyMessageSchema = v.object({ type: v.literal('ready') });
export type ReadyMessage = v.InferOutput<typeof ReadyMessageSchema>;

/**
 * Every host message is acknowledged with `rendered` of its own `type`; the result panel's tabs add theirs, the
 * Group view its label (`label`), the batch view its selected sample (`sample`).
 */
export type RenderedView = ToWebview['type'] | ResultTab | 'label' | 'sample';
const RENDERED_VIEWS: readonly RenderedView[] = [
  'model',
  'error',
  'loading',
  'batch',
  'result',
  'explanation',
  'maskResult',
  'activity',
  'notice',
  'circuit',
  'group',
  'mistakes',
  'label',
  'sample',
  'audit',
  'atlas',
  'compare',
];

/**
 * A view finished rendering; `items` lists what it shows: model: the layer names; result: the layer names
 * (top first); circuit: the group nodes `layer/G<index>`; group: the crop ids shown; label: the group shown
 * (`layer/G<index>`), its label text ('' when none) and the origin line as shown ('' when none); mistakes: the
 * image paths of the gallery; explanation: `layer/G<index>` of the ranked groups; maskResult: the top class names
 * after masking; batch: the misclassified sample indices; sample: the selected batch sample's index, then
 * `layer/G<index>` of each group listed for it; activity, notice: the text shown.
 */
/** `running`: the report is of a partial result (progressive results), so a wait for the final one skips it. */
export const RenderedMessageSchema = v.object({
  type: v.literal('rendered'),
  view: v.picklist(RENDERED_VIEWS),
  items: v.array(str),
  running: v.optional(v.boolean()),
});
export type RenderedMessage = v.InferOutput<typeof RenderedMessageSchema>;

/** The user asked to open a file (the model, a source line of a paused debug session) in an editor. */
export const OpenFileMessageSchema = v.object({ type: v.literal('openFile'), path: str, /** 1-based. */ line: v.optional(count) });
export type OpenFileMessage = v.InferOutput<typeof OpenFileMessageSchema>;

/** The user clicked an image: open the file (absolute path) in an editor (the image preview). */
export const OpenImageMessageSchema = v.object({ type: v.literal('openImage'), path: str });
export type OpenImageMessage = v.InferOutput<typeof OpenImageMessageSchema>;

/** The user selected a group (host: remember it, e.g. for tests and for the next reopen). */
export const SelectGroupMessageSchema = v.object({ type: v.literal('selectGroup'), layer: str, group: int, groupCount: int });
export type SelectGroupMessage = v.InferOutput<typeof SelectGroupMessageSchema>;

/** The user changed a layer's group count (null: back to the silhouette's choice). The webview re-groups by
 * itself (regroupLayer, no model run); the host may persist it (`regroupDocument` + save) for the next reopen. */
export const SetGroupCountMessageSchema = v.object({ type: v.literal('setGroupCount'), layer: str, count: v.nullable(count) });
export type SetGroupCountMessage = v.InferOutput<typeof SetGroupCountMessageSchema>;

/** Open the definition of a layer's module in the workspace's training code. */
export const JumpToCodeMessageSchema = v.object({
  type: v.literal('jumpToCode'),
  layer: str,
  /** The layer's tensor in the ONNX graph (its producer node carries the name scope / stack trace). */
  tensor: str,
  /** Set when asked from a group (for the host's message only). */
  group: v.optional(int),
});
export type JumpToCodeMessage = v.InferOutput<typeof JumpToCodeMessageSchema>;

/**
 * Debug one image against the result at `layer` (host: `debugImages` with `groups: groupCount`), answered by
 * `explanation` with the same `requestId`.
 */
export const ExplainImageRequestSchema = v.object({ type: v.literal('explainImage'), requestId: int, image: str, layer: str, groupCount: int });
export type ExplainImageRequest = v.InferOutput<typeof ExplainImageRequestSchema>;

/**
 * Zero `channels` (the group's member neurons) of `layer` on `image`, re-run the suffix, and answer `maskResult`
 * with the same `requestId` for class `classIndex` (host: `maskEffect`).
 */
export const MaskGroupRequestSchema = v.object({
  type: v.literal('maskGroup'),
  requestId: int,
  image: str,
  layer: str,
  group: int,
  groupCount: int,
  channels: v.array(int),
  classIndex: int,
});
export type MaskGroupRequest = v.InferOutput<typeof MaskGroupRequestSchema>;

/**
 * Label groups of the panel's result (host: command `neurflow.labelGroups` on the result file): with a
 * language model after the user's consent, else from the data with the reason. No layer: every group; a layer:
 * its groups; a layer and a group: that group. `groupCount`: the layer's group count the webview shows; the host
 * refuses when the saved result groups the layer differently (labels belong to the saved grouping).
 */
export const LabelGroupsRequestSchema = v.pipe(
  v.object({ type: v.literal('labelGroups'), layer: v.optional(str), group: v.optional(index), groupCount: v.optional(count) }),
  v.check((m) => m.group === undefined || m.layer !== undefined, 'a group needs its layer'),
);
export type LabelGroupsRequest = v.InferOutput<typeof LabelGroupsRequestSchema>;

/** Longest label the webview may send (a label is a few words). */
export const MAX_LABEL_LENGTH = 200;

/** The user's own label for a group (host: command `neurflow.setGroupLabel`); blank text removes the label. */
export const SetLabelMessageSchema = v.object({
  type: v.literal('setLabel'),
  layer: str,
  group: index,
  text: v.pipe(str, v.maxLength(MAX_LABEL_LENGTH)),
  groupCount: v.optional(count),
});
export type SetLabelMessage = v.InferOutput<typeof SetLabelMessageSchema>;

/** Label error or shortcut?: audit the dataset of the result shown; answered with `audit`. */
export const RunAuditRequestSchema = v.object({ type: v.literal('runAudit'), requestId: int });
export type RunAuditRequest = v.InferOutput<typeof RunAuditRequestSchema>;

/** Save the audit's lists as CSV (`path,label,suggested,kind`) where the user picks. */
export const ExportAuditMessageSchema = v.object({ type: v.literal('exportAudit'), csv: str });
export type ExportAuditMessage = v.InferOutput<typeof ExportAuditMessageSchema>;

/** Forget one answer of the analysis shown (or of the failed run) and run again, asking only that one. */
export const ChangeAnswerMessageSchema = v.object({ type: v.literal('changeAnswer'), answer: v.picklist(ANSWERS) });
export type ChangeAnswerMessage = v.InferOutput<typeof ChangeAnswerMessageSchema>;

/** Save the circuit as a PNG image (`png`: a data URI) where the user picks. */
export const ExportCircuitMessageSchema = v.object({ type: v.literal('exportCircuit'), png: str, name: str });
export type ExportCircuitMessage = v.InferOutput<typeof ExportCircuitMessageSchema>;

/**
 * Save a self-contained HTML report (circuit, groups with crops, mistakes) where the user picks. Images the webview
 * cannot inline are `<img data-embed="relative/path">` (dataset images): the host inlines them as data URIs.
 */
export const ExportReportMessageSchema = v.object({ type: v.literal('exportReport'), html: str, name: str });
export type ExportReportMessage = v.InferOutput<typeof ExportReportMessageSchema>;

/** Show the batch the panel keeps (Explain Batch) again, from the result view's Batch tab. */
export const ShowBatchMessageSchema = v.object({ type: v.literal('showBatch') });
export type ShowBatchMessage = v.InferOutput<typeof ShowBatchMessageSchema>;

/**
 * Open one of the batch's analyses (a file of its `results`) in the panel at `tab`, with a group selected (a batch
 * sample's group opened in the circuit); the batch stays in the panel behind the result view's Batch tab.
 */
export const OpenAnalysisMessageSchema = v.object({
  type: v.literal('openAnalysis'),
  result: str,
  tab: v.optional(v.picklist(RESULT_TABS)),
  layer: v.optional(str),
  group: v.optional(index),
});
export type OpenAnalysisMessage = v.InferOutput<typeof OpenAnalysisMessageSchema>;

/** Pick other saved analyses of the model for the batch and explain it again (the debug session must be paused). */
export const ChangeBatchAnalysisMessageSchema = v.object({ type: v.literal('changeBatchAnalysis') });
export type ChangeBatchAnalysisMessage = v.InferOutput<typeof ChangeBatchAnalysisMessageSchema>;

/** An unexpected failure inside the webview, reported to the host's log. */
export const WebviewFailureMessageSchema = v.object({ type: v.literal('failure'), message: str });
export type WebviewFailureMessage = v.InferOutput<typeof WebviewFailureMessageSchema>;

export const FromWebviewSchema = v.variant('type', [
  OpenAtlasClassMessageSchema,
  ShowAtlasMessageSchema,
  CompareWithMessageSchema,
  OpenComparedMessageSchema,
  ShowBatchMessageSchema,
  OpenAnalysisMessageSchema,
  ChangeBatchAnalysisMessageSchema,
  ChangeAnswerMessageSchema,
  ExportCircuitMessageSchema,
  ExportReportMessageSchema,
  RunAuditRequestSchema,
  ExportAuditMessageSchema,
  ReadyMessageSchema,
  RenderedMessageSchema,
  OpenFileMessageSchema,
  OpenImageMessageSchema,
  SelectGroupMessageSchema,
  SetGroupCountMessageSchema,
  JumpToCodeMessageSchema,
  ExplainImageRequestSchema,
  MaskGroupRequestSchema,
  LabelGroupsRequestSchema,
  SetLabelMessageSchema,
  WebviewFailureMessageSchema,
]);
export type FromWebview = v.InferOutput<typeof FromWebviewSchema>;

// ---------------------------------------------------------------------------------------------------------
// runtime checks

/** The checked message, or undefined for anything that is not one (logged by the caller). */
export function parseToWebview(x: unknown): ToWebview | undefined {
  return conforms(ToWebviewSchema, x) ? x : undefined;
}

export function parseFromWebview(x: unknown): FromWebview | undefined {
  if (!conforms(FromWebviewSchema, x)) return undefined;
  return x.type === 'ready' ? { type: 'ready' } : x;
}

/** An image's webview URI from a result message (undefined when the host gave no image base). */
export function imageUri(m: Pick<ResultViewMessage, 'imageBase'>, relativePath: string): string | undefined {
  if (!m.imageBase) return undefined;
  return `${m.imageBase}/${relativePath.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Extension host <-> webview protocol (`postMessage`). One module, imported by both ends; messages are
 * discriminated on `type` and checked on arrival with `parseToWebview` / `parseFromWebview`.
 *
 * Handshake: the webview posts `ready` once its script has loaded (and again after every reload of its
 * document); the host holds its messages until then and replays the panel's current state after a reload.
 * To add a view: a message carrying its data here, a module in `webview/views/`, a case in `webview/main.ts`.
 */
import { isModelSummary, type ModelSummary } from './summary';

/** The panel is working on a model (shown until `model` or `error` arrives). */
export interface LoadingMessage { type: 'loading'; fileName: string; stage: string }

/** The model summary view: inputs, outputs, operators and detected layers. */
export interface ModelMessage { type: 'model'; summary: ModelSummary }

/** Something failed; `title` names the subject (the model file), `message` says what and where. */
export interface ErrorViewMessage { type: 'error'; title: string; message: string }

export type ToWebview = LoadingMessage | ModelMessage | ErrorViewMessage;

/** The webview's script is running and listening. */
export interface ReadyMessage { type: 'ready' }

/** A view finished rendering; `items` lists what it shows (for the model view: the layer names). */
export interface RenderedMessage { type: 'rendered'; view: 'model' | 'error' | 'loading'; items: string[] }

/** The user asked to open a file (e.g. the model) in an editor. */
export interface OpenFileMessage { type: 'openFile'; path: string }

/** An unexpected failure inside the webview, reported to the host's log. */
export interface WebviewFailureMessage { type: 'failure'; message: string }

export type FromWebview = ReadyMessage | RenderedMessage | OpenFileMessage | WebviewFailureMessage;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isStr = (x: unknown): x is string => typeof x === 'string';

/** The checked message, or undefined for anything that is not one (logged by the caller). */
export function parseToWebview(x: unknown): ToWebview | undefined {
  if (!isObject(x)) return undefined;
  switch (x.type) {
    case 'loading': return isStr(x.fileName) && isStr(x.stage) ? (x as unknown as LoadingMessage) : undefined;
    case 'model': return isModelSummary(x.summary) ? (x as unknown as ModelMessage) : undefined;
    case 'error': return isStr(x.title) && isStr(x.message) ? (x as unknown as ErrorViewMessage) : undefined;
    default: return undefined;
  }
}

export function parseFromWebview(x: unknown): FromWebview | undefined {
  if (!isObject(x)) return undefined;
  switch (x.type) {
    case 'ready': return { type: 'ready' };
    case 'rendered':
      return (x.view === 'model' || x.view === 'error' || x.view === 'loading') && Array.isArray(x.items) &&
        x.items.every(isStr) ? (x as unknown as RenderedMessage) : undefined;
    case 'openFile': return isStr(x.path) ? (x as unknown as OpenFileMessage) : undefined;
    case 'failure': return isStr(x.message) ? (x as unknown as WebviewFailureMessage) : undefined;
    default: return undefined;
  }
}

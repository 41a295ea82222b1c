/**
 * What `activate` returns (`vscode.extensions.getExtension('neurflow.neurflow-vscode').exports`): handles for
 * the extension tests and for other extensions that want to drive a panel. Nothing here runs anything by itself.
 */
import type { ShownPick } from './flow/pickers';
import type { ModelPanel } from './panel';
import type { ResultLibrary } from './results/library';
import type { WorkerClient } from './workerClient';

export interface NeurflowApi {
  /** The panel of a model file or of a result file opened in the result editor (absolute path). */
  panel(key: string): ModelPanel | undefined;
  results: ResultLibrary;
  worker: WorkerClient;
  /** The NeurFlow quick pick on screen (title and item labels with their descriptions), if any. */
  activePick(): ShownPick | undefined;
}

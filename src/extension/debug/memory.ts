/**
 * What Explain Batch remembers per workspace (`workspaceState`): the expressions that held the images, labels
 * and predictions, the model (an ONNX file, or the PyTorch model's expression in the frame), and the analyses chosen for it. Asked once; forgotten when they stop working.
 */
import type * as vscode from 'vscode';

export interface BatchChoices {
  images?: string;
  labels?: string;
  /** '' = the user chose "no predictions". */
  predictions?: string;
  model?: string;
  /** The expression of the PyTorch model in the paused frame (when the debuggee exports it). */
  module?: string;
  /** Analysis files per model path. */
  results?: Record<string, string[]>;
}

const KEY = 'neurflow.explainBatch';

export class BatchMemory {
  constructor(private readonly state: vscode.Memento) {}

  get(): BatchChoices {
    return { ...(this.state.get<BatchChoices>(KEY) ?? {}) };
  }

  async update(patch: Partial<BatchChoices>): Promise<void> {
    await this.state.update(KEY, { ...this.get(), ...patch });
  }

  async forgetExpressions(): Promise<void> {
    const { model, module, results } = this.get();
    await this.state.update(KEY, { model, module, results });
  }

  async rememberResults(model: string, files: string[]): Promise<void> {
    await this.update({ results: { ...(this.get().results ?? {}), [model]: files } });
  }
}

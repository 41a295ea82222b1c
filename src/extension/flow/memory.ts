/**
 * The answers to the Analyse Model quick picks, remembered per workspace folder (workspace state): the dataset
 * folder, and per model its preprocessing choice, class and layers. Asked once, offered first afterwards.
 */
import * as vscode from 'vscode';
import type { PreprocessingChoice } from '../../protocol/analysis';

export interface ModelChoices {
  preprocessing?: PreprocessingChoice;
  className?: string;
  layers?: string[];
}

interface FolderChoices {
  dataset?: string;
  models: Record<string, ModelChoices>;
}

export class ChoiceMemory {
  private readonly key: string;

  constructor(
    private readonly memento: vscode.Memento,
    model: vscode.Uri,
    private readonly modelPath = model.fsPath,
  ) {
    const folder = vscode.workspace.getWorkspaceFolder(model);
    this.key = `neurflow.choices:${folder?.uri.toString() ?? 'no-folder'}`;
  }

  private get value(): FolderChoices {
    const v = this.memento.get<FolderChoices>(this.key);
    return v && typeof v === 'object' && typeof v.models === 'object' ? v : { models: {} };
  }

  get dataset(): string | undefined {
    return this.value.dataset;
  }

  get model(): ModelChoices {
    return this.value.models[this.modelPath] ?? {};
  }

  async setDataset(dataset: string): Promise<void> {
    await this.memento.update(this.key, { ...this.value, dataset });
  }

  async updateModel(choices: ModelChoices): Promise<void> {
    const v = this.value;
    await this.memento.update(this.key, { ...v, models: { ...v.models, [this.modelPath]: { ...v.models[this.modelPath], ...choices } } });
  }
}

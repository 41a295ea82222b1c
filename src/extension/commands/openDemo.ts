/** NeurFlow: Open Demo: the bundled demo model (demo/, shipped in the extension) in its panel. */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { analyseModel, type AnalyseReport } from './analyseModel';

export const DEMO_MODEL = ['demo', 'model', 'shortcut-resnet.onnx'];

export async function openDemo(services: Services): Promise<AnalyseReport | undefined> {
  const model = vscode.Uri.joinPath(services.extensionUri, ...DEMO_MODEL);
  try {
    await vscode.workspace.fs.stat(model);
  } catch {
    void vscode.window.showErrorMessage(`NeurFlow: the demo model is missing from the extension (${model.fsPath}).`);
    return undefined;
  }
  return analyseModel(services, model);
}

/**
 * NeurFlow: Open Demo: the bundled demo (demo/ is shipped in the extension): the shortcut ResNet analysed on
 * its 400 images for class triangle, no question asked (options override any of it).
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { analyseModel, type AnalyseOptions, type AnalyseReport } from './analyseModel';

export const DEMO_MODEL = ['demo', 'model', 'shortcut-resnet.onnx'];
export const DEMO_IMAGES = ['demo', 'images'];
/** The demo's layers (top first) and a quick tau, as `neurflow demo` runs it. */
export const DEMO_LAYERS = ['fc', 'layer3.1', 'layer3.0', 'layer2.1', 'layer2.0', 'layer1.1'];

export async function openDemo(services: Services, options: AnalyseOptions = {}): Promise<AnalyseReport | undefined> {
  const model = vscode.Uri.joinPath(services.extensionUri, ...DEMO_MODEL);
  try {
    await vscode.workspace.fs.stat(model);
  } catch {
    void vscode.window.showErrorMessage(`NeurFlow: the demo model is missing from the extension (${model.fsPath}).`);
    return undefined;
  }
  return analyseModel(services, model, {
    data: vscode.Uri.joinPath(services.extensionUri, ...DEMO_IMAGES).fsPath, class: 'triangle', layers: DEMO_LAYERS,
    ...options, params: { tau: 8, ...options.params },
  });
}

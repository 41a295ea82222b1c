/**
 * NeurFlow: Open Demo: the bundled demo (demo/ is shipped in the extension): the shortcut ResNet analysed on
 * its 400 images for class triangle, no question asked (options override any of it).
 */
import * as vscode from 'vscode';
import { DEMO, PARAMS } from '../../engine/params';
import type { Services } from '../services';
import { analyseModel, type AnalyseOptions, type AnalyseReport } from './analyseModel';

export async function openDemo(services: Services, options: AnalyseOptions = {}): Promise<AnalyseReport | undefined> {
  const model = vscode.Uri.joinPath(services.extensionUri, ...DEMO.model);
  try {
    await vscode.workspace.fs.stat(model);
  } catch {
    void vscode.window.showErrorMessage(`NeurFlow: the demo model is missing from the extension (${model.fsPath}).`);
    return undefined;
  }
  return analyseModel(services, model, {
    data: vscode.Uri.joinPath(services.extensionUri, ...DEMO.images).fsPath,
    class: DEMO.className,
    blocks: PARAMS.blocks.default,
    ...options,
    params: { tau: DEMO.tau, ...options.params },
  });
}

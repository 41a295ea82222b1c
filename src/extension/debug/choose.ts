/**
 * The model and the analyses Explain Batch uses: given by the caller, remembered for the workspace, found in
 * the workspace (one `.onnx` is taken, several are offered in a quick pick), and the saved analyses of that
 * model (result documents in the workspace and in the extension's storage, matched by the model's sha256).
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { analysesOf, fileSha256, onePerClass, type AnalysisRef } from './analyses';
import type { BatchMemory } from './memory';

const EXCLUDE = '**/{node_modules,.git,.cache,.test-out,dist}/**';

/** The model file, or undefined when the user cancelled. */
export async function chooseModel(memory: BatchMemory, given: string | undefined): Promise<string | undefined> {
  if (given) return given;
  const remembered = memory.get().model;
  if (remembered && existsSync(remembered)) return remembered;
  const found = (await vscode.workspace.findFiles('**/*.onnx', EXCLUDE, 200)).filter((u) => u.scheme === 'file');
  let model: string | undefined;
  if (found.length === 1) model = found[0].fsPath;
  else if (found.length > 1) {
    const pick = await vscode.window.showQuickPick(
      found.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u), file: u.fsPath })),
      { title: 'NeurFlow: Explain Batch', placeHolder: 'Which ONNX model is the exported version of the model being debugged?', ignoreFocusOut: true },
    );
    model = pick?.file;
  } else {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { 'ONNX models': ['onnx'] },
      openLabel: 'Use this model',
      title: 'NeurFlow: the exported ONNX model',
    });
    model = picked?.[0]?.fsPath;
  }
  if (model) await memory.update({ model });
  return model;
}

function resultFilesIn(dir: vscode.Uri | undefined): string[] {
  if (!dir) return [];
  const folder = path.join(dir.fsPath, 'results');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => f.endsWith('.neurflow-result.json'))
    .map((f) => path.join(folder, f));
}

/** Every result file Explain Batch may use: in the workspace and in the extension's storage. */
async function candidateFiles(context: vscode.ExtensionContext): Promise<string[]> {
  const inWorkspace = (await vscode.workspace.findFiles('**/*.neurflow-result.json', EXCLUDE, 500)).map((u) => u.fsPath);
  return [...new Set([...inWorkspace, ...resultFilesIn(context.storageUri), ...resultFilesIn(context.globalStorageUri)])];
}

/** Where the last analysis pick offered its items (for the extension tests): the files, the picked ones first. */
export let lastAnalysisPick: { offered: string[]; picked: string[] | undefined } | undefined;

/**
 * "Change" of the batch view (issue 18): a quick pick of every saved analysis of `model` (class, tau, steps, when,
 * file), the ones in use checked; one per class is kept (the newest checked). Undefined when dismissed or empty.
 */
export async function pickAnalyses(
  memory: BatchMemory,
  context: vscode.ExtensionContext,
  model: string,
  current: readonly AnalysisRef[],
): Promise<AnalysisRef[] | undefined> {
  const all = analysesOf(fileSha256(model), [...new Set([...(await candidateFiles(context)), ...current.map((a) => a.file)])]);
  const inUse = new Set(current.map((a) => a.file));
  const items = all.map((a) => ({
    label: `${a.className}${a.tau !== undefined ? `  τ ${a.tau}` : ''}${a.igSteps !== undefined ? `, ${a.igSteps} steps` : ''}`,
    description: `${a.createdAt.slice(0, 16).replace('T', ' ')} · ${a.layers.join(', ')}`,
    detail: vscode.workspace.asRelativePath(a.file),
    picked: inUse.has(a.file),
    ref: a,
  }));
  lastAnalysisPick = { offered: all.map((a) => a.file), picked: undefined };
  if (items.length === 0) return undefined;
  const chosen = await vscode.window.showQuickPick(items, {
    title: `NeurFlow: Explain Batch: the saved analyses of ${path.basename(model)}`,
    placeHolder: 'Which analyses explain the batch? (one per class: the newest checked one of a class is used)',
    canPickMany: true,
    ignoreFocusOut: true,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!chosen || chosen.length === 0) return undefined;
  const refs = onePerClass(chosen.map((c) => c.ref));
  lastAnalysisPick.picked = refs.map((r) => r.file);
  await memory.rememberResults(
    model,
    refs.map((r) => r.file),
  );
  return refs;
}

/**
 * The analyses of `model` (one per class, newest first): the given files, else those remembered, else all
 * found. Empty when the model has none.
 */
export async function chooseAnalyses(
  memory: BatchMemory,
  context: vscode.ExtensionContext,
  model: string,
  given: string[] | undefined,
): Promise<AnalysisRef[]> {
  const sha = fileSha256(model);
  if (given) return onePerClass(analysesOf(sha, given));
  const remembered = (memory.get().results?.[model] ?? []).filter((f) => existsSync(f));
  const fromMemory = onePerClass(analysesOf(sha, remembered));
  if (fromMemory.length > 0) return fromMemory;
  const refs = onePerClass(analysesOf(sha, await candidateFiles(context)));
  if (refs.length > 0)
    await memory.rememberResults(
      model,
      refs.map((r) => r.file),
    );
  return refs;
}

/**
 * The Analyse Model questions (docs/design.md 1.2), each a quick pick or dialog that returns undefined when dismissed:
 * the dataset folder, the preprocessing when the model has no sidecar, the class (with how many images are
 * predicted and labelled as each), and the layers (detected block outputs, the last five preselected).
 */
import { classHint, layerCost } from './hints';
import { presetFor } from './presets';
import { PARAMS } from '../../engine/params';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sidecarCandidates } from '../../engine/data/sidecar';
import type { PreprocessingChoice, ScanSummary } from '../../protocol/analysis';
import type { LayerSummary, ModelSummary } from '../../protocol/summary';

/** Block outputs preselected below the top layer (docs/design.md 5.2). */

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

/** A NeurFlow quick pick as shown: its title and each item's label and description. */
export interface ShownPick {
  title: string;
  items: { label: string; description?: string; detail?: string }[];
}

let shown: ShownPick | undefined;

/** The NeurFlow quick pick on screen, if any (for the extension tests, through the API). */
export function activePick(): ShownPick | undefined {
  return shown;
}

/** A quick pick that resolves with the accepted items (several when `many`), or undefined when dismissed. */
function pick<T>(items: Item<T>[], options: { title: string; placeholder: string; many?: boolean; active?: (v: T) => boolean }): Promise<T[] | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Item<T>>();
    qp.title = options.title;
    qp.placeholder = options.placeholder;
    qp.canSelectMany = options.many ?? false;
    qp.matchOnDescription = true;
    // The panel opens beside the editor as the questions start: a webview taking focus must not close the pick.
    qp.ignoreFocusOut = true;
    qp.items = items;
    const active = options.active ? items.filter((i) => options.active!(i.value)) : [];
    if (qp.canSelectMany) qp.selectedItems = active;
    else if (active.length > 0) qp.activeItems = [active[0]];
    let done = false;
    qp.onDidAccept(() => {
      done = true;
      const chosen = qp.canSelectMany ? [...qp.selectedItems] : [...qp.activeItems];
      qp.hide();
      resolve(chosen.map((i) => i.value));
    });
    qp.onDidHide(() => {
      shown = undefined;
      qp.dispose();
      if (!done) resolve(undefined);
    });
    qp.show();
    shown = { title: options.title, items: items.map((i) => ({ label: i.label, description: i.description, detail: i.detail })) };
  });
}

/** The dataset folder (or CSV manifest) from a folder dialog that starts beside the model. */
export async function pickDataset(model: vscode.Uri, current?: string): Promise<string | undefined> {
  const dir = path.dirname(model.fsPath);
  const near =
    (current && existsSync(current) ? current : undefined) ??
    ['images', 'data', 'dataset', 'val', 'test'].map((n) => path.join(dir, n)).find((p) => existsSync(p)) ??
    ['images', 'data', 'dataset'].map((n) => path.join(path.dirname(dir), n)).find((p) => existsSync(p));
  const picked = await vscode.window.showOpenDialog({
    title: 'NeurFlow: the images to analyse (class folders, or a CSV manifest path,label)',
    canSelectFolders: true,
    canSelectFiles: true,
    canSelectMany: false,
    filters: { 'CSV manifest': ['csv'] },
    defaultUri: vscode.Uri.file(near ?? dir),
    openLabel: 'Use These Images',
  });
  return picked?.[0]?.fsPath;
}

/** Whether preprocessing has to be asked: no sidecar beside the model. */
export function needsPreprocessing(model: string): boolean {
  return !sidecarCandidates(model).some((c) => existsSync(c.file));
}

/** `imagenet`, `none`, or a new sidecar to edit (then undefined: the analysis waits for the edited file). */
export async function pickPreprocessing(model: vscode.Uri, summary: ModelSummary, remembered?: PreprocessingChoice): Promise<PreprocessingChoice | undefined> {
  const input = summary.inputs[0];
  const size = input ? input.shape.slice(2).join('x') : '?';
  const custom = 'custom' as const;
  const chosen = await pick<PreprocessingChoice | typeof custom>(
    [
      { label: 'imagenet', description: 'resize 256, centre crop 224, x/255, ImageNet mean and std', value: 'imagenet' },
      { label: 'none', description: `resize to the model input (${size}), x/255, no normalisation`, value: 'none' },
      { label: 'Custom...', description: `write ${path.basename(sidecarCandidates(model.fsPath)[0].file)} beside the model and edit it`, value: custom },
    ],
    {
      title: `NeurFlow: preprocessing for ${path.basename(model.fsPath)} (no sidecar found)`,
      placeholder: 'How were the training images prepared?',
      active: (v) => JSON.stringify(v) === JSON.stringify(remembered ?? presetFor(input?.shape ?? [])),
    },
  );
  if (!chosen) return undefined;
  if (chosen[0] !== custom) return chosen[0];
  await writeSidecarTemplate(model.fsPath, summary);
  return undefined;
}

/** Opens the model's sidecar (its preprocessing) in an editor. */
export async function openSidecar(model: string): Promise<void> {
  const file = sidecarCandidates(model).find((c) => existsSync(c.file))?.file;
  if (!file) return;
  await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.One });
  void vscode.window.showInformationMessage(`NeurFlow: the preprocessing comes from ${path.basename(file)}: edit it, save it and run Analyse Model again.`);
}

async function writeSidecarTemplate(model: string, summary: ModelSummary): Promise<void> {
  const file = sidecarCandidates(model)[0].file;
  if (!existsSync(file)) {
    const dims = summary.inputs[0]?.shape ?? [];
    const [c, h, w] = dims.slice(1).map((d) => (typeof d === 'number' ? d : undefined));
    const template = {
      input: {
        size: [h ?? 224, w ?? 224],
        channels: c ?? 3,
        scale: 1 / 255,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        resize: null,
        centerCrop: null,
        channelOrder: 'RGB',
      },
      labels: [] as string[],
    };
    writeFileSync(file, `${JSON.stringify(template, null, 2)}\n`);
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.One });
  void vscode.window.showInformationMessage(`NeurFlow: edit ${path.basename(file)} (size, mean, std, labels), save it and run Analyse Model again.`);
}

/** The class to explain, with the scan's counts; the remembered one first. */
export async function pickClass(scan: ScanSummary, remembered?: string): Promise<number | undefined> {
  const items = scan.classes.map((name, i) => ({
    label: name,
    description: `${scan.predicted[i]} predicted as ${name}, ${scan.labelled[i]} labelled`,
    detail: scan.predicted[i] === 0 ? 'no image is predicted as this class: nothing to analyse' : classHint(scan, i),
    value: i,
  }));
  const chosen = await pick(items, {
    title: `NeurFlow: class to explain (${scan.images.toLocaleString('en-US')} images, accuracy ${(scan.accuracy * 100).toFixed(1)}%)`,
    placeholder: 'The analysis looks at the images the model predicts as this class',
    active: (i) => scan.classes[i] === remembered,
  });
  return chosen?.[0];
}

/** The default layers: the top layer plus the last `blocks` below it (PARAMS.blocks), top first. */
export function defaultLayers(layers: readonly LayerSummary[], blocks: number = PARAMS.blocks.default): string[] {
  const top = layers[layers.length - 1];
  return top
    ? [
        top.name,
        ...layers
          .slice(0, -1)
          .slice(-blocks)
          .reverse()
          .map((l) => l.name),
      ]
    : [];
}

/** Layers below the top (which is always analysed), top first; at least one. Returns the full list, top first. */
export async function pickLayers(layers: readonly LayerSummary[], remembered?: string[]): Promise<string[] | undefined> {
  const top = layers[layers.length - 1];
  const below = layers.slice(0, -1).reverse();
  const preselected = new Set((remembered?.filter((n) => below.some((l) => l.name === n)) ?? []).length > 0 ? remembered : defaultLayers(layers));
  const chosen = await pick(
    below.map((l) => ({ label: l.name, description: `${l.shape.join('x')}  ${l.op}`, detail: layerCost(l), value: l.name })),
    {
      title: `NeurFlow: layers to analyse below ${top.name} (always included)`,
      placeholder: 'Block outputs, top first; groups are found in each but the lowest chosen (its core neurons only)',
      many: true,
      active: (n) => preselected.has(n),
    },
  );
  if (!chosen || chosen.length === 0) return undefined;
  const order = below.map((l) => l.name);
  return [top.name, ...chosen.sort((a, b) => order.indexOf(a) - order.indexOf(b))];
}

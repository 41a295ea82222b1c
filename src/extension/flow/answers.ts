/**
 * "Change <answer>" (issue 18): every answer of Analyse Model is shown in the panel (header of a result, error
 * view, error notice) with an action that asks it again and runs the analysis with the new answer, keeping the
 * others. From a result, the other answers come from the result itself (so Open Demo's and Open Result's panels
 * can be changed too); after a failed run, from what is remembered. Tau and steps are numbers: an input box.
 */
import * as vscode from 'vscode';
import type { PreprocessingChoice } from '../../protocol/analysis';
import type { ChangeAnswerMessage, ToWebview } from '../../protocol/webview';
import { analyseModel, type AnalyseOptions, type AnalyseReport } from '../commands/analyseModel';
import type { ModelPanel } from '../panel';
import type { Services } from '../services';
import { changeLabel } from './answer-labels';
import { needsPreprocessing } from './pickers';

/** The model file and the answers of what the panel shows (a result or a failed run). */
export function panelAnswers(panel: ModelPanel): { model: string; options: AnalyseOptions } | undefined {
  const view = panel.view;
  if (view?.type === 'result') {
    const doc = view.doc;
    return {
      model: doc.model.path,
      options: {
        data: view.datasetRoot ?? doc.dataset.root,
        // Given only without a sidecar: with one, the sidecar is the preprocessing.
        ...(needsPreprocessing(doc.model.path) ? { preprocessing: doc.model.preprocessing as PreprocessingChoice } : {}),
        class: doc.class.name,
        layers: doc.layers.map((l) => l.name),
        params: { tau: doc.params.tau, igSteps: doc.params.igSteps, topCrops: doc.params.topCrops },
      },
    };
  }
  if (view?.type === 'error' && view.model) return { model: view.model, options: {} };
  if (view?.type === 'model') return { model: view.summary.path, options: {} };
  return undefined;
}

/** Asks a number (tau, steps) with the current value filled in; undefined when dismissed. */
async function askNumber(answer: 'tau' | 'steps', current: number | undefined): Promise<number | undefined> {
  const [min, max, what] =
    answer === 'tau'
      ? [1, 512, 'Core neurons kept per neuron of the layer above (tau). Larger: more neurons and groups, slower.']
      : [1, 1000, 'Integrated Gradients steps. More: more exact attributions, slower.'];
  const text = await vscode.window.showInputBox({
    title: `NeurFlow: ${answer === 'tau' ? 'tau' : 'Integrated Gradients steps'}`,
    prompt: what,
    value: current === undefined ? '' : String(current),
    ignoreFocusOut: true,
    validateInput: (v) => {
      const n = Number(v);
      return Number.isInteger(n) && n >= min && n <= max ? undefined : `a whole number from ${min} to ${max}`;
    },
  });
  return text === undefined ? undefined : Number(text);
}

/** Handles the panel's `changeAnswer`: asks that answer again and analyses with it (the other answers kept). */
export async function changeAnswer(services: Services, panel: ModelPanel, m: ChangeAnswerMessage, extra: AnalyseOptions = {}): Promise<ToWebview | undefined> {
  const known = panelAnswers(panel);
  if (!known) return { type: 'notice', level: 'warning', message: `${changeLabel(m.answer)}: this panel does not know its model` };
  const options: AnalyseOptions = { ...known.options, ...extra, force: false };
  if (m.answer === 'tau' || m.answer === 'steps') {
    const key = m.answer === 'tau' ? 'tau' : 'igSteps';
    const current = options.params?.[key] ?? vscode.workspace.getConfiguration('neurflow').get<number>(m.answer === 'tau' ? 'tau' : 'igSteps');
    const n = extra.params?.[key] ?? (await askNumber(m.answer, current));
    if (n === undefined) return undefined;
    options.params = { ...options.params, [key]: n };
  } else {
    options.ask = m.answer;
    if (m.answer === 'dataset') delete options.data;
  }
  services.log.info(`panel: ${changeLabel(m.answer)} for ${known.model}`);
  const report: AnalyseReport | undefined = await analyseModel(services, vscode.Uri.file(known.model), options);
  lastChange = report;
  return undefined;
}

/** The report of the last run started by a change action (for the extension tests). */
export let lastChange: AnalyseReport | undefined;

/** The names of Analyse Model's answers in "Change <answer>" actions (issue 18); no imports, so no cycle. */
import type { Answer } from '../../protocol/webview';

export const ANSWER_LABELS: Record<Answer, string> = {
  dataset: 'dataset',
  preprocessing: 'preprocessing',
  class: 'class',
  layers: 'layers',
  tau: 'tau',
  steps: 'steps',
};

/** The button text of an answer's change action, e.g. "Change preprocessing". */
export const changeLabel = (a: Answer) => `Change ${ANSWER_LABELS[a]}`;

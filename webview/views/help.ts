/**
 * Plain-word explanations of NeurFlow's terms (issue 18, item 4): `term()` marks a word where it appears (hover or
 * focus shows the explanation, screen readers read it as the element's description), `glossary()` is the legend
 * that lists them all, and `changeButton()` / `changeActions()` are the "Change <answer>" actions of the header,
 * the error view and error notices.
 */
import type { Answer } from '../../src/protocol/webview';
import { post } from '../api';
import { h } from '../dom';

export const TERMS = {
  class: 'The class being explained: NeurFlow looks at the images the model predicts as this class and asks which neurons made it say so.',
  'core neuron':
    'A neuron (channel) of a layer that matters most for the layer above: among the few (tau) with the largest attribution. Only core neurons are analysed.',
  'sub-concept':
    'One visual pattern a core neuron reacts to. A neuron often fires for several different things; its top image crops are clustered into sub-concepts.',
  group: 'Sub-concepts of different core neurons of the same layer that look alike, clustered together. A group is one concept the layer uses for this class.',
  circuit: 'How the groups of each layer feed the groups of the layer above, up to the class at the top.',
  weight:
    'How strongly a lower group drives an upper group (summed attribution). Blue: it excites the upper group, red: it inhibits it. Weights are comparable within one pair of layers only, not across layers.',
  score: "How clearly a group's concept shows up on an image (the best-matching crop of the image). At or above the threshold the concept counts as present.",
  activation: 'How strongly the neuron fires on the crops of that sub-concept, on average.',
  tau: 'tau: how many core neurons are kept per neuron of the layer above. Larger: more neurons and groups, slower analysis.',
  steps: 'Integrated Gradients steps: how finely attributions are integrated. More steps: more exact, slower.',
  mistake: 'An image of this class the model got wrong, or an image of another class the model wrongly calls this class.',
  preprocessing: 'How images are resized, cropped and normalised before the model sees them. It must match how the model was trained.',
  mask: "Masking a group: run the model again with the group's neurons set to zero, and see how much the prediction drops.",
} as const;
export type Term = keyof typeof TERMS;

/** A word with its explanation on hover and focus. */
export function term(key: Term, text: string = key): HTMLElement {
  return h('span', { class: 'term', tabindex: 0, title: TERMS[key], 'aria-description': TERMS[key], 'data-term': key }, text);
}

/** The legend: the circuit's marks and every term, in a collapsible section (open by default where `open`). */
export function glossary(open = false): HTMLElement {
  const keys = Object.keys(TERMS) as Term[];
  return h(
    'div',
    { class: 'legend' },
    h(
      'ul',
      { class: 'legend-marks', 'aria-label': 'Circuit legend' },
      h('li', {}, h('span', { class: 'mark class-mark' }), 'the class being explained (top)'),
      h('li', {}, h('span', { class: 'mark group-mark' }), 'a group of neurons (its most typical crop)'),
      h('li', {}, h('span', { class: 'mark core-mark' }), 'a core neuron of the lowest layer (not grouped)'),
      h('li', {}, h('span', { class: 'mark edge-pos' }), 'excites the group above'),
      h('li', {}, h('span', { class: 'mark edge-neg' }), 'inhibits the group above'),
    ),
    h(
      'details',
      { class: 'glossary', ...(open ? { open: true } : {}) },
      h('summary', {}, 'What do these words mean?'),
      h(
        'dl',
        { class: 'terms' },
        keys.map((k) => h('div', {}, h('dt', {}, k), h('dd', {}, TERMS[k]))),
      ),
    ),
  );
}

export const ANSWER_NAMES: Record<Answer, string> = {
  dataset: 'Dataset',
  preprocessing: 'Preprocessing',
  class: 'Class',
  layers: 'Layers',
  tau: 'Tau',
  steps: 'Steps',
};

/** "Change <answer>": the host forgets the answer and runs again, asking only that one. */
export function changeButton(answer: Answer, primary = false): HTMLElement {
  return h(
    'vscode-button',
    {
      class: 'change',
      secondary: !primary,
      'data-answer': answer,
      title: `Choose another ${ANSWER_NAMES[answer].toLowerCase()} and analyse again`,
      'aria-label': `Change ${ANSWER_NAMES[answer].toLowerCase()}`,
      onclick: () => post({ type: 'changeAnswer', answer }),
    },
    `Change ${ANSWER_NAMES[answer].toLowerCase()}`,
  );
}

export function changeActions(changes: readonly Answer[] | undefined): HTMLElement | null {
  if (!changes?.length) return null;
  return h(
    'div',
    { class: 'change-actions' },
    changes.map((a, i) => changeButton(a, i === 0)),
  );
}

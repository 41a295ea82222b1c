/**
 * Consent before NeurFlow sends crops of the user's images to a language model: asked once (modal), remembered in
 * the global state when the user allows it for good.
 */
import * as vscode from 'vscode';

const CONSENT_KEY = 'neurflow.labels.consent';

/** True when crops may be sent: remembered, or allowed now. */
export async function askConsent(memento: vscode.Memento, model: string, groups: number, images: number): Promise<boolean> {
  if (memento.get<boolean>(CONSENT_KEY) === true) return true;
  const always = 'Allow';
  const once = 'Allow Once';
  const answer = await vscode.window.showInformationMessage(
    `Send crops of your images to ${model} to label neuron groups?`,
    {
      modal: true,
      detail:
        `NeurFlow will send about ${images} small image crops (at most 96 px) of ${groups} group${groups === 1 ? '' : 's'} ` +
        'from your dataset to this language model, and record its name with each label. Without consent, the labels ' +
        'are derived from the data instead (classes and sizes of the crops).',
    },
    always,
    once,
  );
  if (answer === always) await memento.update(CONSENT_KEY, true);
  return answer === always || answer === once;
}

/** Forgets the remembered consent (the next labelling asks again). */
export async function resetConsent(memento: vscode.Memento): Promise<void> {
  await memento.update(CONSENT_KEY, undefined);
}

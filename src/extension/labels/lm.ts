/**
 * The `vscode.lm` side of group labels: finding a chat model that takes images, and the language-model port the
 * engine's labeller talks to. Image parts (`LanguageModelDataPart.image`) and model capabilities are newer than
 * the API this extension is typed against (1.90), so they are feature-detected at run time and typed here.
 */
import * as vscode from 'vscode';
import { LanguageModelUnavailable, type LanguageModelPort } from '../../engine/labels/labeler';
import type { PromptPart } from '../../engine/labels/prompt';

/** The parts of the newer language-model API this module uses, when the running VS Code has them. */
interface NewerLmApi {
  LanguageModelTextPart?: new (value: string) => unknown;
  LanguageModelDataPart?: { image(data: Uint8Array, mime: string): unknown };
}

interface ModelCapabilities {
  capabilities?: { supportsImageToText?: boolean };
}

const SELECT_TIMEOUT_MS = 10_000;
const REMEMBERED_MODEL = 'neurflow.labels.model';

/** "GPT-4o (copilot)": what is recorded with a label. */
export function modelName(model: vscode.LanguageModelChat): string {
  return `${model.name || model.family || model.id} (${model.vendor})`;
}

/** True / false when the model says whether it takes images; undefined when this VS Code does not tell. */
export function acceptsImages(model: vscode.LanguageModelChat): boolean | undefined {
  return (model as unknown as ModelCapabilities).capabilities?.supportsImageToText;
}

function imagePartsSupported(): boolean {
  const api = vscode as unknown as NewerLmApi;
  return typeof api.LanguageModelTextPart === 'function' && typeof api.LanguageModelDataPart?.image === 'function';
}

export type ModelChoice =
  | { model: vscode.LanguageModelChat; reason?: undefined; dismissed?: undefined }
  | { model?: undefined; reason: string; dismissed?: boolean };

/**
 * A chat model that takes images: the one chosen before if still there, the only one, or one the user picks.
 * Otherwise the reason none can be used, phrased for the user ("No language model available: ..."), or
 * `dismissed` when the user closed the model picker.
 */
export async function chooseImageModel(memento: vscode.Memento): Promise<ModelChoice> {
  const none = (why: string): ModelChoice => ({ reason: `No language model available: ${why}` });
  const lm = (vscode as unknown as { lm?: typeof vscode.lm }).lm;
  if (typeof lm?.selectChatModels !== 'function') return none('this VS Code has no language model API');
  let models: vscode.LanguageModelChat[];
  try {
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), SELECT_TIMEOUT_MS));
    const listed = await Promise.race([Promise.resolve(lm.selectChatModels()), timeout]);
    if (!listed) return none(`VS Code did not list its chat models within ${SELECT_TIMEOUT_MS / 1000} s`);
    models = listed;
  } catch (e) {
    return none(`listing the chat models failed (${(e as Error).message})`);
  }
  if (models.length === 0) {
    return none('no chat model is installed or signed in (a language model extension such as GitHub Copilot Chat provides them)');
  }
  if (!imagePartsSupported()) return none(`this VS Code ${vscode.version} cannot send images to a language model (needs a newer VS Code)`);
  const visual = models.filter((m) => acceptsImages(m) !== false);
  if (visual.length === 0) return none(`none of the chat models takes images (${models.map(modelName).join(', ')})`);
  const remembered = memento.get<string>(REMEMBERED_MODEL);
  const known = visual.find((m) => m.id === remembered);
  if (known) return { model: known };
  // Models that say they take images before those that do not say.
  const sorted = [...visual].sort((a, b) => Number(acceptsImages(b) === true) - Number(acceptsImages(a) === true));
  if (sorted.length === 1) return { model: sorted[0] };
  const pick = await vscode.window.showQuickPick(
    sorted.map((m) => ({ label: m.name || m.id, description: m.vendor, detail: acceptsImages(m) ? 'takes images' : undefined, model: m })),
    { title: 'NeurFlow: language model for group labels', placeHolder: 'A model that can look at images' },
  );
  if (!pick) return { reason: 'No language model chosen', dismissed: true };
  await memento.update(REMEMBERED_MODEL, pick.model.id);
  return { model: pick.model };
}

/** The message content of a prompt, in the running VS Code's part classes. */
function content(parts: readonly PromptPart[]): unknown[] {
  const api = vscode as unknown as Required<NewerLmApi>;
  return parts.map((p) => (p.kind === 'text' ? new api.LanguageModelTextPart(p.text) : api.LanguageModelDataPart.image(p.data, p.mime)));
}

const UNUSABLE = new Set(['NoPermissions', 'Blocked', 'NotFound']);

/** The engine's language-model port over a `vscode.lm` chat model; `signal` cancels the request. */
export function lmPort(model: vscode.LanguageModelChat): LanguageModelPort {
  return {
    name: modelName(model),
    async ask(parts, signal) {
      const source = new vscode.CancellationTokenSource();
      const cancel = () => source.cancel();
      signal?.addEventListener('abort', cancel);
      try {
        if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
        const user = vscode.LanguageModelChatMessage.User as unknown as (c: unknown[]) => vscode.LanguageModelChatMessage;
        const response = await model.sendRequest(
          [user(content(parts))],
          { justification: 'NeurFlow shows the model crops of your images to name what a neuron group detects.' },
          source.token,
        );
        let text = '';
        for await (const chunk of response.text) text += chunk;
        if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
        return text;
      } catch (e) {
        if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
        if (e instanceof vscode.LanguageModelError && UNUSABLE.has(e.code)) {
          throw new LanguageModelUnavailable(`${e.code}: ${e.message}`);
        }
        throw e;
      } finally {
        signal?.removeEventListener('abort', cancel);
        source.dispose();
      }
    },
  };
}

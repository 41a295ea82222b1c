/**
 * Requests to the host that have an answer (`explainImage` -> `explanation`, `maskGroup` -> `maskResult`):
 * numbered, and settled when the answer with the same `requestId` arrives.
 */
import type { AuditMessage, ExplanationMessage, FromWebview, MaskResultMessage } from '../src/protocol/webview';
import { post } from './api';

type Answer = ExplanationMessage | MaskResultMessage | AuditMessage;

let nextId = 1;
const pending = new Map<number, (m: Answer) => void>();

/** Posts the request `make(id)` and resolves with the host's answer. */
export function request<T extends Answer>(make: (requestId: number) => FromWebview): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve) => {
    pending.set(id, (m) => resolve(m as T));
    post(make(id));
  });
}

/** Hands an answer to its request; false when nothing waits for it (e.g. asked before a reload). */
export function settle(answer: Answer): boolean {
  const resolve = pending.get(answer.requestId);
  if (!resolve) return false;
  pending.delete(answer.requestId);
  resolve(answer);
  return true;
}

/**
 * The audit on the wire: worker -> host -> Mistakes view. The shapes live with the engine
 * (src/engine/audit/view.ts); this is the runtime check at the webview boundary.
 */
import * as v from 'valibot';
import type { AuditView } from '../engine/audit/view';
import { box, conforms, index, num } from '../engine/util/checked';
import { ExecutionProviderSchema } from './provider';

export type { AuditView, AuditLabelError, AuditShortcutMistake, AuditShortcutView, AuditShortcutExample } from '../engine/audit/view';
export { auditCsv } from '../engine/audit/view';

/** Worker `audit` params. */
export const AuditParamsSchema = v.object({
  model: v.string(),
  /** Dataset folder or CSV manifest. */
  data: v.string(),
  /** Folder of stored results (the class analyses are reused from and saved there). */
  store: v.string(),
  /** Class names to examine, or 'all'; default: the classes predicted for two or more suspects. */
  classes: v.optional(v.union([v.array(v.string()), v.literal('all')])),
  provider: v.optional(ExecutionProviderSchema),
  threads: v.optional(index),
});
export type AuditParams = v.InferOutput<typeof AuditParamsSchema>;

const str = v.string();

/**
 * The audit view's runtime check. The TypeScript shape is declared by the engine (src/engine/audit/view.ts);
 * the two must agree both ways, or `SameShape` below fails to compile.
 */
export const AuditViewSchema = v.object({
  labelErrors: v.array(
    v.object({
      path: str,
      label: str,
      suggested: str,
      score: num,
      shortcut: v.optional(str),
      why: str,
    }),
  ),
  shortcutMistakes: v.array(
    v.object({
      path: str,
      label: str,
      predicted: str,
      shortcut: str,
      box,
      labelProbBefore: num,
      labelProbAfter: num,
      alsoLabelError: v.boolean(),
      why: str,
    }),
  ),
  shortcuts: v.array(
    v.object({
      id: str,
      class: str,
      layer: str,
      group: index,
      classesSpanned: v.array(str),
      flipRate: num,
      measured: index,
      flippedToLabel: index,
      channels: v.array(index),
      medianCoverage: num,
      alike: num,
      examples: v.array(v.object({ path: str, label: str, box, after: str })),
    }),
  ),
});
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const agrees: SameShape<v.InferOutput<typeof AuditViewSchema>, AuditView> = true;
void agrees;

export function isAuditView(x: unknown): x is AuditView {
  return conforms(AuditViewSchema, x);
}

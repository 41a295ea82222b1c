/**
 * The audit (issue 16) on the wire: worker -> host -> Mistakes view. The shapes live with the engine
 * (src/engine/audit/view.ts); this is the runtime check at the webview boundary.
 */
import type { AuditView, Box4 } from '../engine/audit/view';
import type { ExecutionProvider } from './worker';

export type { AuditView, AuditLabelError, AuditShortcutMistake, AuditShortcutView, AuditShortcutExample } from '../engine/audit/view';
export { auditCsv } from '../engine/audit/view';

/** Worker `audit` params. */
export interface AuditParams {
  model: string;
  /** Dataset folder or CSV manifest. */
  data: string;
  /** Folder of stored results (the class analyses are reused from and saved there). */
  store: string;
  /** Class names to examine, or 'all'; default: the classes predicted for two or more suspects. */
  classes?: string[] | 'all';
  provider?: ExecutionProvider;
  threads?: number;
}


const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isBox = (x: unknown): x is Box4 => Array.isArray(x) && x.length === 4 && x.every(isNum);
const listOf = (x: unknown, f: (v: Record<string, unknown>) => boolean) => Array.isArray(x) && x.every((v) => isObj(v) && f(v));

export function isAuditView(x: unknown): x is AuditView {
  if (!isObj(x)) return false;
  return listOf(x.labelErrors, (e) => isStr(e.path) && isStr(e.label) && isStr(e.suggested) && isNum(e.score) && isStr(e.why) && (e.shortcut === undefined || isStr(e.shortcut)))
    && listOf(x.shortcutMistakes, (m) => isStr(m.path) && isStr(m.label) && isStr(m.predicted) && isStr(m.shortcut) && isBox(m.box) && isStr(m.why) && typeof m.alsoLabelError === 'boolean')
    && listOf(x.shortcuts, (s) => isStr(s.id) && isStr(s.class) && isStr(s.layer) && isNum(s.group) && Array.isArray(s.classesSpanned) && s.classesSpanned.every(isStr)
      && isNum(s.flipRate) && Array.isArray(s.channels) && listOf(s.examples, (e) => isStr(e.path) && isStr(e.label) && isBox(e.box) && isStr(e.after)));
}


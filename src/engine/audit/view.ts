/**
 * The audit (label error or shortcut?) as `neurflow audit --json` prints it and the Mistakes view shows
 * it (src/protocol/audit.ts checks it at the webview boundary). Class names, not indices; paths relative to the
 * dataset root as `predict --json` writes `images[].path`.
 */
export type Box4 = [number, number, number, number];

export interface AuditLabelError {
  path: string;
  label: string;
  suggested: string;
  /** Higher = more likely a wrong label; the list is sorted by it. */
  score: number;
  /** The shortcut whose evidence was occluded before judging (the image is a shortcut mistake too). */
  shortcut?: string;
  why: string;
}

export interface AuditShortcutMistake {
  path: string;
  label: string;
  predicted: string;
  /** An `id` of `shortcuts`. */
  shortcut: string;
  /** The shortcut's evidence on the image (input pixels, x1/y1 exclusive): the occluded box. */
  box: Box4;
  labelProbBefore: number;
  labelProbAfter: number;
  /** Occluding the shortcut moved the prediction, but not to the label: also in `labelErrors`. */
  alsoLabelError: boolean;
  why: string;
}

export interface AuditShortcutExample {
  path: string;
  label: string;
  box: Box4;
  /** The prediction once the evidence is occluded. */
  after: string;
}

export interface AuditShortcutView {
  /** `<class>/<layer>/G<group>`. */
  id: string;
  class: string;
  layer: string;
  group: number;
  classesSpanned: string[];
  /** Share of the images of other labels predicted as `class` that go back to their label with its evidence occluded. */
  flipRate: number;
  measured: number;
  flippedToLabel: number;
  channels: number[];
  /** Median share of the image its evidence covers; similarity of its evidence across labels. */
  medianCoverage: number;
  alike: number;
  examples: AuditShortcutExample[];
}

export interface AuditView {
  labelErrors: AuditLabelError[];
  shortcutMistakes: AuditShortcutMistake[];
  shortcuts: AuditShortcutView[];
}

/** CSV for relabelling tools: `path,label,suggested,kind`, label errors (ranked) then shortcut mistakes (keep the label). */
export function auditCsv(v: AuditView): string {
  const cell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [
    'path,label,suggested,kind',
    ...v.labelErrors.map((e) => [e.path, e.label, e.suggested, 'label-error'].map(cell).join(',')),
    ...v.shortcutMistakes.map((m) => [m.path, m.label, m.label, 'shortcut-mistake'].map(cell).join(',')),
  ];
  return `${rows.join('\n')}\n`;
}

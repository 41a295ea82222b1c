/**
 * `neurflow audit MODEL --data DIR`: label error or shortcut? Sorts confident learning's suspects into label errors
 * (ranked) and shortcut mistakes (the model fooled by a shortcut group, found and measured on the circuit).
 */
import { writeFileAtomic } from '../../engine/result/store';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommandArgs, positiveInt } from '../args';
import type { CliCommand } from '../command';
import { UsageError } from '../../engine/errors';
import { auditJson, runAudit, type AuditReport } from '../../engine/audit/run';
import type { ProviderSetting } from '../../engine/runtime/ort';
import { progressPrinter, table } from './analysis-common';

const USAGE = `usage: neurflow audit MODEL --data DIR|MANIFEST.csv [--classes C1,C2|all] [--json] [options]

Label error or shortcut? Scans the dataset, lists the suspected label errors of confident learning, and sorts
them with the circuit: for the classes the suspects are predicted as, it runs (or reuses) the class analysis,
finds the neuron groups that are shortcuts (present on images of several labels, small and alike evidence, and
occluding their evidence gives those images back their label: measured) and calls a suspect a shortcut mistake
when occluding its shortcut gives back its label, a label error otherwise.

  --data PATH       ImageFolder or CSV manifest "path,label"
  --classes LIST    classes to examine, by name or index, or all (default: the classes predicted for two or
                    more suspects)
  --json            print {"labelErrors", "shortcutMistakes", "shortcuts"} as JSON (paths as predict --json)
  --out FILE        also write that JSON to FILE
  --top N           rows per list in the text report (default 20)
  --store DIR       where class analyses are reused from and saved (default ${defaultStore()})
  --provider P      execution provider (default cpu)
  --threads N       onnxruntime intra-op threads
  --quiet           no progress lines`;

export function defaultStore(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'neurflow', 'results');
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

export function formatAudit(r: AuditReport, top: number): string {
  const lines: string[] = [];
  lines.push(`${r.suspects} suspects of confident learning; classes examined: ${r.examined.join(', ') || 'none'}`);
  lines.push('', `shortcuts (${r.shortcuts.length})`);
  if (r.shortcuts.length > 0) {
    lines.push(
      table([
        ['id', 'channels', 'labels spanned', 'occluded: back to label', 'evidence'],
        ...r.shortcuts.map((s) => [
          s.id,
          String(s.channels.length),
          s.classesSpanned.join(' '),
          `${s.flippedToLabel}/${s.measured} (${pct(s.flipRate)})`,
          `${pct(s.medianCoverage)} of the image, alike ${s.alike.toFixed(2)}`,
        ]),
      ])
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  } else {
    lines.push('  none: no group is present across labels with small, alike evidence whose occlusion gives labels back');
  }
  const le = r.labelErrors.slice(0, top);
  lines.push('', `label errors (${le.length} of ${r.labelErrors.length}, most likely first)`);
  if (le.length > 0) {
    lines.push(
      table([['image', 'label', 'suggested', 'score', 'why'], ...le.map((e) => [e.path, e.labelName, e.suggestedName, e.score.toFixed(3), e.why])])
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  const sm = r.shortcutMistakes.slice(0, top);
  lines.push('', `shortcut mistakes (${sm.length} of ${r.shortcutMistakes.length})`);
  if (sm.length > 0) {
    lines.push(
      table([['image', 'label', 'predicted', 'shortcut', 'why'], ...sm.map((m) => [m.path, m.labelName, m.predictedName, m.shortcutId, m.why])])
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  for (const rel of r.reliability.filter((x) => x.recall < 0.5)) {
    lines.push(
      '',
      `note: without its shortcut the model recognises ${rel.className} on ${pct(rel.recall)} of the images labelled so (${rel.predicted[rel.class]}/${rel.without}); its disagreement there weighs less`,
    );
  }
  return lines.join('\n');
}

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'label error or shortcut? sort suspected label errors with the circuit',
  usage: USAGE,
  async run(args) {
    const parsed = parseCommandArgs(
      args,
      {
        data: { type: 'string', short: 'd' },
        classes: { type: 'string' },
        json: { type: 'boolean' },
        out: { type: 'string' },
        top: { type: 'string' },
        store: { type: 'string' },
        provider: { type: 'string' },
        threads: { type: 'string' },
        quiet: { type: 'boolean' },
      },
      USAGE,
    );
    const v = parsed.values;
    const [model, ...extra] = parsed.positionals;
    if (!model || extra.length > 0) throw new UsageError(`expected one MODEL argument\n${USAGE}`);
    if (!v.data) throw new UsageError(`--data is required (an ImageFolder or a CSV manifest)\n${USAGE}`);
    const providers = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];
    if (v.provider !== undefined && !providers.includes(v.provider))
      throw new UsageError(`--provider must be one of ${providers.join(', ')}, got '${v.provider}'`);
    let classes: (string | number)[] | 'all' | undefined;
    if (v.classes !== undefined) {
      const list = v.classes
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      if (list.length === 0) throw new UsageError(`--classes: give class names or indices, or all\n${USAGE}`);
      classes = list.length === 1 && list[0] === 'all' ? 'all' : list.map((c) => (/^\d+$/.test(c) ? Number(c) : c));
    }
    const report = await runAudit({
      model,
      data: v.data,
      classes,
      store: v.store ?? defaultStore(),
      provider: v.provider as ProviderSetting | undefined,
      threads: positiveInt(v.threads, 'threads', USAGE),
      onProgress: progressPrinter(v.quiet || v.json),
    });
    const json = JSON.stringify(auditJson(report));
    if (v.out) writeFileAtomic(v.out, json);
    console.log(v.json ? json : formatAudit(report, positiveInt(v.top, 'top', USAGE, 20)!));
    return 0;
  },
};

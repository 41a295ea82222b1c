/** `neurflow predict MODEL --data DIR|CSV [--json]`: the misclassification scan of a dataset. */
import type { CliCommand } from '../command';
import { parseCommandArgs, positiveInt } from '../args';
import { UsageError } from '../../engine/errors';
import { runScan } from '../../engine/data/run-scan';
import type { ScanResult } from '../../engine/data/scan';
import { PRESETS, type PresetName } from '../../engine/data/sidecar';
import type { ProviderSetting } from '../../engine/runtime/ort';

const USAGE = `usage: neurflow predict MODEL --data DIR|MANIFEST.csv [--json] [--preset imagenet|none] [--top N]
                        [--batch N] [--provider auto|cpu|cuda|webgpu] [--threads N]

Runs the model over a dataset and prints the accuracy, per-class precision and recall, the confusion matrix,
the most confident misclassifications and the suspected label errors (confident learning).

  --data PATH      ImageFolder (one sub-folder per class, sorted names = class indices, optional labels.txt)
                   or a CSV manifest "path,label" (paths relative to the manifest)
  --preset NAME    preprocessing instead of the model's sidecar (<model>.neurflow.json or neurflow.json):
                   imagenet (resize 256, crop 224, ImageNet mean/std) or none (resize to the input, x/255)
  --top N          rows in the misclassification and label-error lists (default 10)
  --json           print the scan result as JSON (every image with its probabilities)
  --batch N        images per model run (default 64)
  --provider P     execution provider (default cpu; auto tries cuda, webgpu, then cpu)
  --threads N      onnxruntime intra-op threads (default: all CPUs)`;

function pct(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(1)}%`;
}

function table(rows: string[][], right: Set<number> = new Set()): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}

/** The human-readable report of a scan. */
export function formatScan(r: ScanResult, top: number): string {
  const lines: string[] = [];
  const name = (c: number) => r.classes[c] ?? `class ${c}`;
  const p = r.preprocessing;
  lines.push(`model     ${r.model.path} (input ${r.model.input} [${r.model.inputShape.join(', ')}], ${r.model.provider})`);
  lines.push(`data      ${r.dataset.source} (${r.dataset.layout}, ${r.dataset.files} files, ${r.images.length} predicted, ${r.skipped.length} skipped)`);
  lines.push(
    `preproc   ${p.source}${p.file ? ` ${p.file}` : ''}: ${p.size[0]}x${p.size[1]}x${p.channels}, resize ${JSON.stringify(p.resize)}, crop ${JSON.stringify(p.centerCrop)}, mean ${JSON.stringify(p.mean)}, std ${JSON.stringify(p.std)}, ${p.channelOrder}`,
  );
  lines.push(`accuracy  ${(r.accuracy * 100).toFixed(2)}% (${r.correct}/${r.images.length})   ${r.timings.imagesPerSecond} images/s`);
  for (const w of r.warnings) lines.push(`warning   ${w}`);
  const d = r.decode;
  const conv = [
    d.greyToRgb && `${d.greyToRgb} grey -> RGB`,
    d.colourToGrey && `${d.colourToGrey} colour -> grey`,
    d.alphaDropped && `${d.alphaDropped} alpha dropped`,
    d.sixteenBit && `${d.sixteenBit} 16-bit`,
    d.exifRotated && `${d.exifRotated} EXIF-rotated`,
  ].filter(Boolean);
  if (conv.length > 0) lines.push(`converted ${conv.join(', ')}`);
  lines.push('', 'per class');
  lines.push(
    ...table(
      [
        ['#', 'class', 'support', 'predicted', 'precision', 'recall'],
        ...r.perClass.map((s, c) => [String(c), name(c), String(s.support), String(s.predicted), pct(s.precision), pct(s.recall)]),
      ],
      new Set([0, 2, 3, 4, 5]),
    ).map((l) => `  ${l}`),
  );
  lines.push('', 'confusion (rows: given label, columns: predicted)');
  lines.push(
    ...table(
      [['', ...r.classes.map((_, c) => String(c))], ...r.confusion.map((row, c) => [`${c} ${name(c)}`, ...row.map(String)])],
      new Set(r.classes.map((_, c) => c + 1)),
    ).map((l) => `  ${l}`),
  );
  const wrong = r.misclassified.slice(0, top);
  lines.push('', `most confident misclassifications (${Math.min(top, r.misclassified.length)} of ${r.misclassified.length})`);
  if (wrong.length > 0) {
    lines.push(
      ...table(
        [
          ['image', 'label', 'predicted', 'p'],
          ...wrong.map((m) => {
            const im = r.images[m.image];
            return [im.path, name(im.label), name(im.pred), m.confidence.toFixed(3)];
          }),
        ],
        new Set([3]),
      ).map((l) => `  ${l}`),
    );
  }
  const sus = r.labelIssues.suspects.slice(0, top);
  lines.push(
    '',
    `suspected label errors (${Math.min(top, r.labelIssues.suspects.length)} of ${r.labelIssues.suspects.length}; ranked by p(label) / class threshold)`,
  );
  if (sus.length > 0) {
    lines.push(
      ...table(
        [
          ['image', 'label', 'p(label)', 'proposed', 'p(proposed)'],
          ...sus.map((s) => {
            const im = r.images[s.image];
            return [im.path, name(s.label), s.selfConfidence.toFixed(3), name(s.proposed), (im.probs[s.proposed] ?? 0).toFixed(3)];
          }),
        ],
        new Set([2, 4]),
      ).map((l) => `  ${l}`),
    );
  }
  if (r.skipped.length > 0) {
    lines.push('', `skipped files (${r.skipped.length})`);
    for (const s of r.skipped.slice(0, Math.max(top, 20))) lines.push(`  ${s.path}: ${s.reason}`);
    if (r.skipped.length > Math.max(top, 20)) lines.push(`  ... and ${r.skipped.length - Math.max(top, 20)} more (--json lists all)`);
  }
  return lines.join('\n');
}

export const predictCommand: CliCommand = {
  name: 'predict',
  summary: 'scan a dataset: accuracy, confusion, misclassified images, suspected label errors',
  usage: USAGE,
  async run(args) {
    const parsed = parseCommandArgs(
      args,
      {
        data: { type: 'string', short: 'd' },
        json: { type: 'boolean' },
        preset: { type: 'string' },
        top: { type: 'string' },
        batch: { type: 'string' },
        provider: { type: 'string' },
        threads: { type: 'string' },
      },
      USAGE,
    );
    const v = parsed.values;
    const [file, ...extra] = parsed.positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one MODEL argument\n${USAGE}`);
    if (!v.data) throw new UsageError(`--data is required (an ImageFolder or a CSV manifest)\n${USAGE}`);
    if (v.preset !== undefined && !PRESETS.includes(v.preset as PresetName)) {
      throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}, got '${v.preset}'`);
    }
    const providers = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];
    if (v.provider !== undefined && !providers.includes(v.provider)) {
      throw new UsageError(`--provider must be one of ${providers.join(', ')}, got '${v.provider}'`);
    }
    const top = positiveInt(v.top, 'top', USAGE, 10)!;
    const progress = process.stderr.isTTY && !v.json;
    const result = await runScan(file, v.data, {
      preprocessing: v.preset as PresetName | undefined,
      batchSize: positiveInt(v.batch, 'batch', USAGE, 64)!,
      threads: positiveInt(v.threads, 'threads', USAGE),
      provider: v.provider as ProviderSetting | undefined,
      onReady: ({ preprocessing }) => {
        if (preprocessing.source === 'default') {
          console.error(
            `neurflow predict: no sidecar (${file.replace(/\.onnx$/i, '')}.neurflow.json) or neurflow.json found; using preset 'none' (pass --preset)`,
          );
        }
      },
      onProgress: progress ? (done, total) => process.stderr.write(`\rScanning ${done}/${total} images`) : undefined,
    });
    if (progress) process.stderr.write('\r\x1b[K');
    console.log(v.json ? JSON.stringify(result) : formatScan(result, top));
    return 0;
  },
};

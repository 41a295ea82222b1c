/** `neurflow debug RESULT IMAGE...`: which groups of a layer explain each image, with their evidence crops. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { parseCommandArgs, positiveInt, positiveNumber } from '../args';
import * as path from 'node:path';
import type { CliCommand } from '../command';
import { UsageError } from '../../engine/errors';
import { debugImages } from '../../engine/analysis/debug-image';
import { openResultModel } from '../../engine/analysis/result-model';
import { IMAGE_EXTENSIONS } from '../../engine/data/dataset';
import type { ResultDocument } from '../../engine/result/schema';
import { readResult } from '../../engine/result/store';
import type { ProviderSetting } from '../../engine/runtime/ort';

const USAGE = `usage: neurflow debug RESULT IMAGE|FOLDER... [--layer NAME] [--groups N] [--threshold T] [--json]

Scores every group of a layer of an analysis on each image (the authors' log-barrier score over the image's
crops at granularities 0.25, 0.5, 1) and lists the groups from most to least present, with the crops that
show the top group (evidence, score >= threshold). Folders are searched recursively for images.

  --layer NAME      layer to debug (default: the grouped layer with the largest spatial map)
  --groups N        re-group the layer into N groups first (default: the result's groups)
  --threshold T     evidence threshold on exp(log-barrier) (default: the result's, 0.8)
  --top-pairs V     pairs nearest each group centre that represent it (default 3; 0 = all)
  --model FILE      the analysed model, if it moved (checked by sha256)
  --provider P, --threads N
  --json            print JSON: per image, the ranked groups with scores and evidence boxes`;

function listImages(inputs: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (!existsSync(p)) throw new UsageError(`${p}: no such image or folder`);
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(path.join(p, name));
    } else if (IMAGE_EXTENSIONS.includes(path.extname(p).toLowerCase())) {
      out.push(p);
    }
  };
  inputs.forEach(walk);
  return out;
}

/** The default debugging layer: the grouped layer with the largest spatial map (then the lowest). */
export function defaultDebugLayer(doc: ResultDocument): string {
  const grouped = doc.layers.filter((l) => l.grouping);
  if (grouped.length === 0) throw new UsageError('the result has no grouped layer to debug');
  const area = (s: number[]) => s.slice(1).reduce((a, b) => a * b, 1);
  return grouped.reduce((best, l) => (area(l.shape) > area(best.shape) ? l : best)).name;
}

export const debugCommand: CliCommand = {
  name: 'debug',
  summary: 'rank the groups of a layer that explain given images, with evidence crops',
  usage: USAGE,
  async run(args) {
    const parsed = parseCommandArgs(
      args,
      {
        layer: { type: 'string' },
        groups: { type: 'string' },
        threshold: { type: 'string' },
        'top-pairs': { type: 'string' },
        model: { type: 'string' },
        provider: { type: 'string' },
        threads: { type: 'string' },
        json: { type: 'boolean' },
      },
      USAGE,
    );
    const v = parsed.values;
    const [resultFile, ...inputs] = parsed.positionals;
    if (!resultFile || inputs.length === 0) throw new UsageError(`expected RESULT and at least one IMAGE or FOLDER\n${USAGE}`);
    const doc = readResult(resultFile);
    const files = listImages(inputs);
    if (files.length === 0) throw new UsageError(`no images found in ${inputs.join(', ')}`);
    const rm = await openResultModel(doc, resultFile, {
      model: v.model,
      provider: v.provider as ProviderSetting | undefined,
      threads: positiveInt(v.threads, 'threads', USAGE),
    });
    const images = await rm.load(files);
    const layer = v.layer ?? defaultDebugLayer(doc);
    const topPairs = v['top-pairs'] === undefined ? undefined : Number(v['top-pairs']);
    const [height, width] = rm.preprocessing.size;
    const results = await debugImages(
      rm.backend,
      doc,
      images,
      rm.preprocessing.channels,
      { height, width },
      {
        layer,
        groups: positiveInt(v.groups, 'groups', USAGE),
        threshold: positiveNumber(v.threshold, 'threshold', USAGE),
        topPairs,
      },
    );
    const threshold = positiveNumber(v.threshold, 'threshold', USAGE) ?? doc.params.debugThreshold;
    if (v.json) {
      console.log(
        JSON.stringify({
          result: resultFile,
          layer,
          threshold,
          groups: results[0]?.grouping.count,
          images: results.map((r, i) => ({
            image: files[i],
            ranked: r.ranked.map((g) => ({
              group: g.group,
              score: g.score,
              bestCrop: r.crops[g.bestCrop].box,
              evidence: g.evidence.map((c) => ({ granularity: r.crops[c].granularity, box: r.crops[c].box })),
            })),
          })),
        }),
      );
      return 0;
    }
    console.log(`layer ${layer}, ${results[0]?.grouping.count} groups, threshold ${threshold}`);
    results.forEach((r, i) => {
      const scores = r.ranked.map((g) => `G${g.group} ${g.score.toFixed(3)}`).join('  ');
      const top = r.ranked[0];
      const boxes = top.evidence
        .filter((c) => r.crops[c].granularity < 1)
        .slice(0, 4)
        .map((c) => `[${r.crops[c].box.join(',')}]`)
        .join(' ');
      console.log(`${files[i]}: ${scores}${boxes ? `; G${top.group} evidence ${boxes}${top.evidence.length > 4 ? ' ...' : ''}` : ''}`);
    });
    return 0;
  },
};

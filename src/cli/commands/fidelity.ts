/** `neurflow fidelity RESULT`: class accuracy after masking each layer's core neurons vs as many random ones. */
import type { CliCommand } from '../command';
import { coreHurtsMore } from '../../engine/result/schema';
import { parseCommandArgs, positiveInt } from '../args';
import { UsageError } from '../../engine/errors';
import { fidelityTable } from '../../engine/analysis/fidelity';
import { openResultModel } from '../../engine/analysis/result-model';
import { readResult, writeResult } from '../../engine/result/store';
import type { ProviderSetting } from '../../engine/runtime/ort';
import { resultImageFiles, table } from './analysis-common';

const USAGE = `usage: neurflow fidelity RESULT [--seeds N] [--save] [--json]

The paper's faithfulness check: for each layer of the analysis, the share of the class's images still
predicted as the class after zeroing the layer's core neurons, against zeroing as many random neurons of the
layer (mean over --seeds draws, default 5). Core neurons should hurt more.

  --seeds N      random draws per layer (default 5)
  --max-fraction F  mask at most this share of a layer's channels (default 0.5): the most important core
                 neurons (summed mean |IG|) when the core set is larger
  --save         store the table in the result file
  --model FILE   the analysed model, if it moved (checked by sha256)
  --provider P, --threads N
  --json         print the table as JSON`;

export const fidelityCommand: CliCommand = {
  name: 'fidelity',
  summary: 'check that masking core neurons hurts the class more than masking random ones',
  usage: USAGE,
  async run(args) {
    const parsed = parseCommandArgs(
      args,
      {
        seeds: { type: 'string' },
        'max-fraction': { type: 'string' },
        save: { type: 'boolean' },
        json: { type: 'boolean' },
        model: { type: 'string' },
        provider: { type: 'string' },
        threads: { type: 'string' },
      },
      USAGE,
    );
    const v = parsed.values;
    const [file, ...extra] = parsed.positionals;
    if (!file || extra.length > 0) throw new UsageError(`expected one RESULT argument\n${USAGE}`);
    const doc = readResult(file);
    const rm = await openResultModel(doc, file, {
      model: v.model,
      provider: v.provider as ProviderSetting | undefined,
      threads: positiveInt(v.threads, 'threads', USAGE),
    });
    const images = await rm.load(resultImageFiles(doc));
    const [h, w] = rm.preprocessing.size;
    const inputs = { data: new Float32Array(images.length * images[0].length), dims: [images.length, rm.preprocessing.channels, h, w] };
    images.forEach((im, i) => inputs.data.set(im, i * im.length));
    const maxFraction = v['max-fraction'] === undefined ? undefined : Number(v['max-fraction']);
    if (maxFraction !== undefined && !(maxFraction > 0 && maxFraction <= 1))
      throw new UsageError(`--max-fraction must be in (0, 1], got '${v['max-fraction']}'`);
    const rows = await fidelityTable(rm.backend, doc, inputs, { seeds: positiveInt(v.seeds, 'seeds', USAGE), maxFraction });
    if (v.save) writeResult(file, { ...doc, fidelity: rows });
    if (v.json) {
      console.log(JSON.stringify({ result: file, class: doc.class, rows }));
      return 0;
    }
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(`class ${doc.class.name}: ${images.length} images ${doc.class.selection} as the class`);
    console.log(
      table(
        [
          ['layer', 'core', 'masked', 'no mask', 'core masked', 'random masked', 'p core', 'p random', 'core hurts more', 'core kept', 'random kept'],
          ...rows.map((r) => [
            r.layer,
            String(r.neurons),
            `${r.masked}/${r.channels}`,
            pct(r.baseline),
            pct(r.core),
            pct(r.random),
            pct(r.coreProb ?? NaN),
            pct(r.randomProb ?? NaN),
            coreHurtsMore(r) ? 'yes' : 'NO',
            pct(r.coreRetained),
            pct(r.randomRetained),
          ]),
        ],
        new Set([1, 2, 3, 4, 5, 6, 7, 9, 10]),
      ),
    );
    console.log(`accuracy and p (mean probability of the class) over the class's images; random: mean over ${rows[0]?.randomSeeds ?? 0} draws;`);
    console.log('"core hurts more": lower accuracy, or equal accuracy and lower p; "kept": only the masked set left, the rest zeroed');
    return rows.every(coreHurtsMore) ? 0 : 1;
  },
};

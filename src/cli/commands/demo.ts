/**
 * `neurflow demo`: the bundled demo end to end — analyse class "triangle" of the shortcut ResNet on its 400 test
 * images, then debug the marked images the model calls triangles and check the top group's evidence against the
 * planted marker (demo/truth.json).
 */
import { DEMO, PARAMS } from '../../engine/params';
import { existsSync, readFileSync } from 'node:fs';
import { parseCommandArgs, positiveInt } from '../args';
import * as path from 'node:path';
import type { CliCommand } from '../command';
import { UsageError } from '../../engine/errors';
import { boxesOverlap, type Box } from '../../engine/analysis/crops';
import { debugImages } from '../../engine/analysis/debug-image';
import { analyseClass } from '../../engine/analysis/job';
import { openResultModel } from '../../engine/analysis/result-model';
import { progressPrinter, summariseResult } from './analysis-common';
import { defaultDebugLayer } from './debug';

const USAGE = `usage: neurflow demo [--out FILE] [--tau N] [--layer NAME] [--threads N] [--quiet]

Runs NeurFlow on the bundled demo (demo/: a ResNet that learned a planted marker as its "triangle" shortcut):
analyses class triangle, prints the groups and circuit, then debugs the marked images predicted as triangle
and reports how often the top group's evidence crops sit on the marker.

  --out FILE     result file (default neurflow-demo.neurflow-result.json in the current folder)
  --tau N        core inputs per neuron (default ${DEMO.tau} for the demo, a quick run)
  --layer NAME   layer to debug (default: the grouped layer with the largest spatial map)
  --demo DIR     the demo folder (default: the one shipped with neurflow)`;

/** The shipped demo folder: `demo/` above this file (source tree or dist bundle). */
export function findDemo(start = __dirname): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'demo');
    if (existsSync(path.join(candidate, 'model', 'shortcut-resnet.onnx'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'analyse the bundled demo model (a learned shortcut) and debug its mistakes',
  usage: USAGE,
  async run(args) {
    const parsed = parseCommandArgs(
      args,
      {
        out: { type: 'string' },
        tau: { type: 'string' },
        layer: { type: 'string' },
        threads: { type: 'string' },
        quiet: { type: 'boolean' },
        demo: { type: 'string' },
      },
      USAGE,
    );
    const v = parsed.values;
    const demo = v.demo ?? findDemo();
    if (!demo) throw new UsageError('the demo folder (demo/model/shortcut-resnet.onnx) was not found next to neurflow; pass --demo DIR');
    const threads = positiveInt(v.threads, 'threads', USAGE);
    const out = v.out ?? 'neurflow-demo.neurflow-result.json';
    console.error(`NeurFlow demo: ${demo}`);
    const { doc } = await analyseClass({
      model: path.join(demo, ...DEMO.model.slice(1)),
      data: path.join(demo, ...DEMO.images.slice(1)),
      class: DEMO.className,
      blocks: PARAMS.blocks.default,
      params: { tau: positiveInt(v.tau, 'tau', USAGE, DEMO.tau)! },
      threads,
      out,
      onProgress: progressPrinter(v.quiet),
    });
    console.log(summariseResult(doc));
    console.log(`wrote ${path.resolve(out)}`);
    const truth = JSON.parse(readFileSync(path.join(demo, 'truth.json'), 'utf8')).images as Record<string, { marker: Box | null; class: string }>;
    const marked = doc.class.images.filter((p) => truth[p]?.marker);
    const rm = await openResultModel(doc, out, { threads });
    const images = await rm.load(marked.map((p) => path.join(doc.dataset.root, p)));
    const layer = v.layer ?? defaultDebugLayer(doc);
    const [height, width] = rm.preprocessing.size;
    const res = await debugImages(rm.backend, doc, images, rm.preprocessing.channels, { height, width }, { layer });
    let hits = 0;
    res.forEach((r, i) => {
      const top = r.ranked[0];
      const marker = truth[marked[i]].marker!;
      if (top.evidence.some((c) => r.crops[c].granularity < 1 && boxesOverlap(r.crops[c].box, marker))) hits++;
    });
    const trueTriangles = doc.class.images.filter((p) => truth[p]?.class === 'triangle').length;
    console.log(`${doc.class.images.length} images predicted triangle: ${trueTriangles} true triangles, ${marked.length} carry the marker`);
    console.log(`debugging at ${layer}: the top-ranked group's evidence crops cover the marker on ${hits}/${marked.length} marked images`);
    return 0;
  },
};

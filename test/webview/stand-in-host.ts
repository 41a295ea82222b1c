/**
 * A STAND-IN for the extension host's answers to the webview's requests, for the webview tests: it answers
 * `explainImage` with the engine's image debugging (`debugImages`) and `maskGroup` with `maskEffect`, on the
 * real model the result records, as the real host does through its worker. It is not the host (that is H9's
 * src/extension + src/worker); it only lets the tests drive the webview through real data.
 */
import * as path from 'node:path';
import { debugImages } from '../../src/engine/analysis/debug-image';
import { maskEffect } from '../../src/engine/analysis/mask';
import { openResultModel, type ResultModel } from '../../src/engine/analysis/result-model';
import type { ScanResult } from '../../src/engine/data/scan';
import type { ResultDocument } from '../../src/engine/result/schema';
import type { ClassProb } from '../../src/protocol/batch';
import type { ExplainImageRequest, ExplanationMessage, MaskGroupRequest, MaskResultMessage } from '../../src/protocol/webview';
import type { Harness } from './harness';

export class StandInHost {
  private model: Promise<ResultModel> | undefined;
  /** Requests answered so far. */
  readonly answered: { type: string; ms: number }[] = [];

  constructor(
    readonly doc: ResultDocument,
    readonly scan: ScanResult,
    readonly datasetRoot: string,
  ) {}

  private open(): Promise<ResultModel> {
    this.model ??= openResultModel(this.doc, 'stand-in host', { provider: 'cpu' });
    return this.model;
  }

  private names(probs: ArrayLike<number>, top = 5): ClassProb[] {
    return Array.from(probs, (prob, c) => ({ class: c, name: this.scan.classes[c] ?? `class ${c}`, prob }))
      .sort((a, b) => b.prob - a.prob || a.class - b.class)
      .slice(0, top);
  }

  async explain(r: ExplainImageRequest): Promise<ExplanationMessage> {
    const t0 = performance.now();
    const rm = await this.open();
    const [input] = await rm.load([path.join(this.datasetRoot, r.image)]);
    const [height, width] = rm.preprocessing.size;
    const [res] = await debugImages(rm.backend, this.doc, [input], rm.preprocessing.channels, { height, width }, { layer: r.layer, groups: r.groupCount });
    const entry = this.scan.images.find((im) => im.path === r.image);
    this.answered.push({ type: 'explanation', ms: performance.now() - t0 });
    return {
      type: 'explanation',
      requestId: r.requestId,
      image: r.image,
      layer: r.layer,
      groupCount: res.grouping.count,
      threshold: this.doc.params.debugThreshold,
      groups: res.ranked.map((g) => ({
        group: g.group,
        score: g.score,
        // Smallest first, as the worker's explainImage job sends them.
        evidence: g.evidence.map((c) => res.crops[c].box).sort((a, b) => (a[2] - a[0]) * (a[3] - a[1]) - (b[2] - b[0]) * (b[3] - b[1])),
        bestBox: res.crops[g.bestCrop].box,
      })),
      top: entry ? this.names(entry.probs) : undefined,
    };
  }

  async mask(r: MaskGroupRequest): Promise<MaskResultMessage> {
    const t0 = performance.now();
    const rm = await this.open();
    const [input] = await rm.load([path.join(this.datasetRoot, r.image)]);
    const layer = this.doc.layers.find((l) => l.name === r.layer)!;
    const [height, width] = rm.preprocessing.size;
    const effect = await maskEffect(
      rm.backend,
      { data: input, dims: [1, rm.preprocessing.channels, height, width] },
      layer.tensor,
      r.channels,
      r.classIndex,
      5,
    );
    const e = effect.images[0];
    const named = (list: { class: number; prob: number }[]) => list.map((p) => ({ ...p, name: this.scan.classes[p.class] ?? `class ${p.class}` }));
    this.answered.push({ type: 'maskResult', ms: performance.now() - t0 });
    return {
      type: 'maskResult',
      requestId: r.requestId,
      image: r.image,
      layer: r.layer,
      group: r.group,
      classIndex: r.classIndex,
      before: e.before,
      after: e.after,
      topBefore: named(e.topBefore),
      top: named(e.top),
    };
  }

  /** Answers the webview's requests as they are posted, until the returned function is called. */
  serve(h: Harness): () => void {
    let seen = 0;
    let busy = false;
    let stopped = false;
    const tick = async () => {
      if (busy || stopped) return;
      busy = true;
      try {
        const posted = await h.posted().catch(() => []);
        if (posted.length < seen) seen = 0; // the page reloaded: its list restarted
        for (const m of posted.slice(seen)) {
          if (m.type === 'explainImage') await h.send(await this.explain(m as unknown as ExplainImageRequest));
          if (m.type === 'maskGroup') await h.send(await this.mask(m as unknown as MaskGroupRequest));
        }
        seen = posted.length;
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), 50);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}

/**
 * THE real result of the demo that every test layer uses (unit, webview, extension through the Explain Batch
 * fixture): the engine's class analysis (`analyseClass`) of the shipped demo model on demo/images, class
 * triangle, the top layer + the last 5 blocks (fc, layer3.1, layer3.0, layer2.1, layer2.0, layer1.1), tau 8,
 * 16 IG steps (reduced from the defaults: a fresh run takes 7-10 s on 2 cores).
 *
 * It is made once per checkout and cached in `.cache/test-results/` by the engine's own key (model sha256 +
 * dataset fingerprint + parameters: a changed model, dataset or parameter set makes a new one). Test files run
 * in parallel processes: a lock file makes one of them compute while the others wait and then reuse it.
 * `scripts/make-fixtures.ts` (run by `scripts/test-all.mjs` before the test layers) makes it up front.
 */
import * as path from 'node:path';
import { analyseClass } from '../../src/engine/analysis/job';
import { runScan } from '../../src/engine/data/run-scan';
import type { ScanResult } from '../../src/engine/data/scan';
import type { ResultDocument } from '../../src/engine/result/schema';
import { withFileLock } from './file-lock';
import { REPO_ROOT } from './shared';

export const DEMO_MODEL = path.join(REPO_ROOT, 'demo', 'model', 'shortcut-resnet.onnx');
export const DEMO_IMAGES = path.join(REPO_ROOT, 'demo', 'images');
export const TEST_RESULTS = path.join(REPO_ROOT, '.cache', 'test-results');

/** The one parameter set of the test result. */
export const DEMO_CLASS = 'triangle';
export const DEMO_BLOCKS = 5;
export const DEMO_PARAMS = { tau: 8, igSteps: 16 };

export interface DemoResult {
  /** A fresh copy per call: tests may change it. */
  doc: ResultDocument;
  /** The cached result file (`.cache/test-results/<key>.neurflow-result.json`); do not modify it. */
  file: string;
  /** Whether this process found it cached (false: it computed it). */
  reused: boolean;
  /** Seconds this process spent getting it (waiting for another process included). */
  seconds: number;
}

let shared: Promise<DemoResult> | undefined;
let scan: Promise<ScanResult> | undefined;

/** The demo's test result, computed at most once per checkout. */
export async function demoResult(): Promise<DemoResult> {
  shared ??= load();
  const r = await shared;
  return { ...r, doc: structuredClone(r.doc) };
}

/** The full dataset scan of the demo (half a second; once per process), which the host sends with a result. */
export async function demoScan(): Promise<ScanResult> {
  scan ??= runScan(DEMO_MODEL, DEMO_IMAGES, { provider: 'cpu' });
  return structuredClone(await scan);
}

async function load(): Promise<DemoResult> {
  const t0 = performance.now();
  const lock = path.join(TEST_RESULTS, 'demo.lock');
  const onWait = (owner: string) => process.stderr.write(`# demo result: waiting for process ${owner} (${path.relative(REPO_ROOT, lock)})\n`);
  return withFileLock(
    lock,
    async () => {
      let told = false;
      const res = await analyseClass({
        model: DEMO_MODEL,
        data: DEMO_IMAGES,
        class: DEMO_CLASS,
        blocks: DEMO_BLOCKS,
        params: DEMO_PARAMS,
        provider: 'cpu',
        store: TEST_RESULTS,
        onProgress: () => {
          if (!told) process.stderr.write(`# demo result: computing the test analysis into ${path.relative(REPO_ROOT, TEST_RESULTS)} (once per checkout)\n`);
          told = true;
        },
      });
      if (!res.file) throw new Error(`the demo analysis (class ${DEMO_CLASS}) finished incomplete: nothing cached in ${TEST_RESULTS}`);
      return { doc: res.doc, file: res.file, reused: res.reused, seconds: (performance.now() - t0) / 1000 };
    },
    { onWait },
  );
}

/**
 * A REAL result for the webview tests: the engine's class analysis of the demo (shortcut ResNet, class
 * triangle, the top layer + the last 5 blocks), with reduced IG steps and tau so a fresh run takes about a
 * minute; cached in `.cache/webview/results` by the engine's own key (model sha256 + dataset fingerprint +
 * parameters), so later runs load it. Plus the full dataset scan the host sends with it.
 */
import * as path from 'node:path';
import { analyseClass } from '../../src/engine/analysis/job';
import { runScan } from '../../src/engine/data/run-scan';
import type { ScanResult } from '../../src/engine/data/scan';
import type { ResultDocument } from '../../src/engine/result/schema';
import { ROOT } from './harness';

export const DEMO_MODEL = path.join(ROOT, 'demo', 'model', 'shortcut-resnet.onnx');
export const DEMO_IMAGES = path.join(ROOT, 'demo', 'images');
const STORE = path.join(ROOT, '.cache', 'webview', 'results');

export async function demoResult(): Promise<{ doc: ResultDocument; reused: boolean; seconds: number }> {
  const t0 = performance.now();
  const res = await analyseClass({
    model: DEMO_MODEL, data: DEMO_IMAGES, class: 'triangle', blocks: 5, provider: 'cpu', store: STORE,
    params: { tau: 8, igSteps: 16 },
  });
  return { doc: res.doc, reused: res.reused, seconds: (performance.now() - t0) / 1000 };
}

export function demoScan(): Promise<ScanResult> {
  return runScan(DEMO_MODEL, DEMO_IMAGES, { provider: 'cpu' });
}

/**
 * A real result for the label tests: `neurflow analyse` (the CLI) on the shipped demo (class triangle, tau 8,
 * 16 IG steps), cached under .cache/labels/ by the demo model's hash; made on first use (about a minute on
 * 2 cores), never committed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readResult } from '../../../src/engine/result/store';
import type { ResultDocument } from '../../../src/engine/result/schema';
import { REPO_ROOT } from '../../helpers/shared';

export const DEMO_MODEL = path.join(REPO_ROOT, 'demo/model/shortcut-resnet.onnx');
export const DEMO_IMAGES = path.join(REPO_ROOT, 'demo/images');

let cached: ResultDocument | undefined;

/** Path of the cached result (made with the CLI when missing). */
export function realResultFile(): string {
  const sha = createHash('sha256').update(readFileSync(DEMO_MODEL)).digest('hex').slice(0, 12);
  const file = path.join(REPO_ROOT, '.cache', 'labels', `demo-triangle-${sha}.neurflow-result.json`);
  if (existsSync(file)) return file;
  mkdirSync(path.dirname(file), { recursive: true });
  const r = spawnSync(process.execPath, [
    '--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), 'analyse', DEMO_MODEL, '--data', DEMO_IMAGES,
    '--class', 'triangle', '--tau', '8', '--steps', '16', '--threads', '1', '--quiet', '--out', file,
  ], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  if (r.status !== 0 || !existsSync(file)) {
    throw new Error(`neurflow analyse on the demo failed (status ${r.status}): ${r.stderr?.slice(-2000)}`);
  }
  return file;
}

/** The real result (a fresh deep copy per call: tests may change it). */
export function realResult(): ResultDocument {
  cached ??= readResult(realResultFile());
  return structuredClone(cached);
}

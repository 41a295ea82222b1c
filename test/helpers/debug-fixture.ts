/**
 * The Explain Batch fixture in test/fixture/debug/ (generated, gitignored; eval_loop.py there is the debuggee):
 *   shortcut-triangle.neurflow-result.json  THE demo test result (test/helpers/demo-result.ts), class triangle
 *   batch-images.npy / batch-labels.npy     16 demo images (uint8 N x H x W x 3) and their true classes
 *   batch-files.json                        the demo files of the batch, in order
 *   batch-torch-probs.npy                   PyTorch's class probabilities for them (float32 N x 4), from the
 *                                           team's reference predictions: the debuggee's "own" predictions
 * Made by `scripts/make-fixtures.ts` (run by scripts/test-all.mjs before the test layers) and by the tests that
 * read it, so a single test file also runs on a fresh clone. Files are rewritten only when their bytes change,
 * atomically, so parallel test processes can make it at the same time. Needs ../shared/reference/predictions
 * (or NEURFLOW_SHARED): without it this throws, naming the missing file.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { formatNpy } from '../../src/engine/io/npy';
import { writeFileAtomic } from '../../src/engine/result/store';
import { DEMO_IMAGES, demoResult } from './demo-result';
import { REPO_ROOT, SHARED_DIR } from './shared';

export const DEBUG_FIXTURE = path.join(REPO_ROOT, 'test', 'fixture', 'debug');
export const DEBUG_RESULT = path.join(DEBUG_FIXTURE, 'shortcut-triangle.neurflow-result.json');
const PREDICTIONS = path.join(SHARED_DIR, 'reference', 'predictions', 'shortcut-resnet__shortcut-test.json');
const CLASSES = ['circle', 'square', 'star', 'triangle'];
const SIDE = 64;

/** Writes the whole fixture (the analysis is computed first when not cached); returns the batch's files. */
export async function makeDebugFixture(): Promise<string[]> {
  const files = await makeDebugBatch();
  writeIfChanged(DEBUG_RESULT, readFileSync((await demoResult()).file));
  return files;
}

/** The batch files only (no analysis needed): images, labels, file list, PyTorch probabilities. */
export async function makeDebugBatch(): Promise<string[]> {
  if (!existsSync(PREDICTIONS)) {
    throw new Error(
      `reference predictions missing: ${PREDICTIONS} (the Explain Batch fixture takes PyTorch's probabilities from ../shared; set NEURFLOW_SHARED if it lives elsewhere)`,
    );
  }
  const files = pickBatch();
  const pixels = new Uint8Array(files.length * SIDE * SIDE * 3);
  for (const [i, f] of files.entries()) {
    const raw = await sharp(path.join(DEMO_IMAGES, f)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (raw.info.width !== SIDE || raw.info.height !== SIDE || raw.info.channels !== 3) {
      throw new Error(`${f}: ${raw.info.width}x${raw.info.height}x${raw.info.channels}, expected ${SIDE}x${SIDE}x3`);
    }
    pixels.set(raw.data, i * SIDE * SIDE * 3);
  }
  const labels = BigInt64Array.from(files.map((f) => BigInt(CLASSES.indexOf(f.split('/')[0]))));
  const ref = JSON.parse(readFileSync(PREDICTIONS, 'utf8')) as { files: { file: string; probs: number[] }[] };
  const probs = files.flatMap((f) => {
    const row = ref.files.find((r) => r.file.endsWith(`/test/${f}`));
    if (!row) throw new Error(`${PREDICTIONS}: no prediction for the demo image ${f}`);
    return row.probs;
  });
  writeIfChanged(path.join(DEBUG_FIXTURE, 'batch-images.npy'), formatNpy([files.length, SIDE, SIDE, 3], pixels));
  writeIfChanged(path.join(DEBUG_FIXTURE, 'batch-labels.npy'), formatNpy([files.length], labels));
  writeIfChanged(path.join(DEBUG_FIXTURE, 'batch-torch-probs.npy'), formatNpy([files.length, CLASSES.length], Float32Array.from(probs)));
  writeIfChanged(path.join(DEBUG_FIXTURE, 'batch-files.json'), `${JSON.stringify(files, null, 1)}\n`);
  return files;
}

/** 16 images, 2 per (class, marked or not): marked non-triangles (the model calls them triangles), unmarked
 * triangles, clean images; in truth.json's sorted order. */
function pickBatch(): string[] {
  const truth = JSON.parse(readFileSync(path.join(REPO_ROOT, 'demo', 'truth.json'), 'utf8')) as {
    images: Record<string, { class: string; marker: number[] | null }>;
  };
  const entries = Object.entries(truth.images).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const take = (cls: string, marked: boolean) =>
    entries
      .filter(([, v]) => v.class === cls && (v.marker !== null) === marked)
      .slice(0, 2)
      .map(([k]) => k);
  return CLASSES.flatMap((cls) => [...take(cls, true), ...take(cls, false)]);
}

function writeIfChanged(file: string, content: string | Uint8Array): void {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  if (existsSync(file) && Buffer.compare(readFileSync(file), bytes) === 0) return;
  writeFileAtomic(file, bytes);
}

/**
 * Explain Batch transfer benchmark: a batch of 256 x 3 x 224 x 224 float32 (154 MB) leaves a Python program
 * paused under Debian's debugpy adapter (the real DAP `evaluate` of the extension's snippet: the debuggee
 * `np.save`s into a temporary folder) and is read back with `readNpyFile` (one copy), as the worker does;
 * then the folder is deleted. Also a float16 batch (converted to float32 in the debuggee) and uint8 NHWC pixels.
 * Prints seconds per stage (median of the repetitions). Needs /usr/bin/python3 with python3-debugpy and numpy.
 *
 *   node --import tsx bench/debug-transfer.ts [--n 256] [--reps 5]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readNpy } from '../src/engine/io/npy';
import { readNpyFile } from '../src/engine/io/npy-file';
import { transferBatch } from '../src/extension/debug/transfer';
import { DapClient, debugpyMissing } from '../test/unit/debug/dap-client';

const { values } = parseArgs({ options: { n: { type: 'string', default: '256' }, reps: { type: 'string', default: '5' } } });
const N = Number(values.n),
  REPS = Number(values.reps);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const missing = debugpyMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-bench-'));
  const program = path.join(dir, 'loop.py');
  writeFileSync(
    program,
    [
      'import numpy as np',
      'rng = np.random.default_rng(0)',
      `images = rng.standard_normal((${N}, 3, 224, 224), dtype=np.float32)`,
      'half = images.astype(np.float16)',
      `pixels = rng.integers(0, 256, size=(${N}, 224, 224, 3), dtype=np.uint8)`,
      `labels = np.arange(${N}) % 1000`,
      'print("ready")  # line 7: breakpoint',
      '',
    ].join('\n'),
  );
  const dap = new DapClient();
  try {
    const frame = await dap.launchToLine(program, 7, dir);
    const evaluate = (e: string) => dap.evaluate(e, frame.frameId);
    console.log(`batch ${N} x 3 x 224 x 224 (${((N * 3 * 224 * 224 * 4) / 1e6).toFixed(0)} MB float32), ${REPS} repetitions, median seconds`);
    console.log('images expression        evaluate+write   read .npy   delete    total');
    for (const expr of ['images', 'half', 'pixels']) {
      const rows: { ev: number; read: number; del: number; total: number }[] = [];
      for (let r = 0; r < REPS; r++) {
        const t0 = performance.now();
        const t = await transferBatch(evaluate, { images: [expr], labels: ['labels'] }, 'bench');
        const t1 = performance.now();
        const a = readNpyFile(t.images.path);
        readNpy(t.labels.path);
        const t2 = performance.now();
        if (a.data.length !== N * 3 * 224 * 224) throw new Error(`read ${a.data.length} values`);
        t.dispose();
        const t3 = performance.now();
        rows.push({ ev: t1 - t0, read: t2 - t1, del: t3 - t2, total: t3 - t0 });
      }
      const s = (k: keyof (typeof rows)[0]) => (median(rows.map((x) => x[k])) / 1000).toFixed(3).padStart(8);
      console.log(`${expr.padEnd(24)} ${s('ev')}        ${s('read')}    ${s('del')}  ${s('total')}`);
    }
  } finally {
    await dap.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

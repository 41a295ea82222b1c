/**
 * The checkpoints Explain Batch saw in each debug session: one per distinct export key (the hash of the weights), in
 * the order they were met, so that **Compare with Previous Checkpoint** finds the export from before the weights
 * last changed. Kept in memory for the extension host's life (the exports themselves are files in the storage).
 */

export interface Checkpoint {
  /** sha256 of the weights (export-snippet.ts). */
  key: string;
  onnx: string;
  /** Where the session was paused, e.g. `main at train.py:71`. */
  where: string;
  /** The model's expression in the frame. */
  expression: string;
  /** Date.now() when first seen. */
  time: number;
}

export class CheckpointHistory {
  private readonly sessions = new Map<string, Checkpoint[]>();

  constructor(private readonly keep = 20) {}

  /** Records a checkpoint; the same key as the last one of the session is not recorded twice. */
  add(session: string, checkpoint: Checkpoint): void {
    const list = this.sessions.get(session) ?? [];
    if (list.at(-1)?.key === checkpoint.key) return;
    list.push(checkpoint);
    while (list.length > this.keep) list.shift();
    this.sessions.set(session, list);
  }

  /** The last checkpoint of the session whose weights differ from `key` (and that came before the last `key`). */
  previous(session: string, key: string): Checkpoint | undefined {
    const list = this.sessions.get(session) ?? [];
    const at = list.map((c) => c.key).lastIndexOf(key);
    const before = at < 0 ? list : list.slice(0, at);
    for (let i = before.length - 1; i >= 0; i--) if (before[i].key !== key) return before[i];
    return undefined;
  }

  list(session: string): readonly Checkpoint[] {
    return this.sessions.get(session) ?? [];
  }
}

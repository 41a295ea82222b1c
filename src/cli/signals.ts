/**
 * Ctrl-C (SIGINT) in the CLI, at any moment: the process exits 130 (128 + SIGINT, as shells report it).
 *
 * - A command that can stop early and keep what finished (`cancellable`, e.g. `analyse`, which writes the layers
 *   finished so far) gets an aborted signal on the first Ctrl-C and returns; the CLI then exits 130 whatever
 *   the command returns or throws. If it has not returned after `graceMs` (a long model run that cannot be
 *   interrupted), or on a second Ctrl-C, the process exits 130 at once.
 * - Any other command (or a Ctrl-C before a command started) exits 130 at once: their writes are single
 *   synchronous atomic writes (temp file + rename), so no half-written file can be left.
 *
 * early-sigint.ts (the entry's first import) counts a Ctrl-C that arrives while the CLI is still loading, in
 * `globalThis.__neurflowEarlySigint`; `install` takes it over.
 */

export const SIGINT_EXIT = 130;

declare global {
  // Set by early-sigint.ts before anything else loads.
  var __neurflowEarlySigint: { count: number; handler?: () => void } | undefined;
}

export interface InterruptOptions {
  /** Where messages go (default stderr). */
  log?: (line: string) => void;
  /** How the process ends (default process.exit). */
  exit?: (code: number) => void;
  /** How long a cancelled command may take to return before the process exits anyway (default 10 s). */
  graceMs?: number;
}

export class Interrupts {
  private readonly controller = new AbortController();
  private cancellable = false;
  private count = 0;
  private readonly log: (line: string) => void;
  private readonly exit: (code: number) => void;
  private readonly graceMs: number;
  private readonly handler = () => this.interrupt();

  constructor(options: InterruptOptions = {}) {
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.exit = options.exit ?? ((code) => process.exit(code));
    this.graceMs = options.graceMs ?? 10_000;
  }

  /** Aborted on the first Ctrl-C during a cancellable command. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether Ctrl-C was pressed. */
  get interrupted(): boolean {
    return this.count > 0;
  }

  /** Listens for SIGINT (taking over the bundle's early handler and any Ctrl-C it counted). */
  install(): this {
    const early = globalThis.__neurflowEarlySigint;
    // Ours first, then the early one off: removing the last listener would stop the signal watcher and lose a
    // Ctrl-C that is pending (delivered only when the event loop next runs).
    process.on('SIGINT', this.handler);
    if (early?.handler) process.removeListener('SIGINT', early.handler);
    if (early && early.count > 0) this.interrupt();
    return this;
  }

  uninstall(): void {
    process.removeListener('SIGINT', this.handler);
  }

  /** From now on the first Ctrl-C aborts `signal` instead of exiting. */
  setCancellable(on: boolean): void {
    this.cancellable = on;
  }

  /** What a Ctrl-C does (public for tests). */
  interrupt(): void {
    this.count++;
    if (this.count === 1 && this.cancellable) {
      this.log('  cancelling: keeping what finished (Ctrl-C again to stop at once) ...');
      this.controller.abort(new Error('cancelled by Ctrl-C'));
      setTimeout(() => {
        this.log(`  stopped: the command did not finish within ${this.graceMs / 1000} s of Ctrl-C`);
        this.exit(SIGINT_EXIT);
      }, this.graceMs).unref();
      return;
    }
    this.log('  interrupted');
    this.exit(SIGINT_EXIT);
  }
}

/** One CLI subcommand: `neurflow <name> ...`. Each lives in its own file under `src/cli/commands/`. */
export interface CliCommand {
  name: string;
  /** One line for `neurflow --help`. */
  summary: string;
  /** Full usage text for `neurflow <name> --help`. */
  usage: string;
  /**
   * Whether the command stops early on Ctrl-C and keeps what finished (it then watches `signal`). Other
   * commands are ended at once by Ctrl-C (src/cli/signals.ts); either way the CLI exits 130.
   */
  cancellable?: boolean;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[], signal?: AbortSignal): Promise<number>;
}

/** One CLI subcommand: `neurflow <name> ...`. Each lives in its own file under `src/cli/commands/`. */
export interface CliCommand {
  name: string;
  /** One line for `neurflow --help`. */
  summary: string;
  /** Full usage text for `neurflow <name> --help`. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/**
 * `neurflow` command line: the engine without VS Code. Each subcommand is one module in `commands/`,
 * listed in the table below (the only registration).
 */
import './early-sigint';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { NeurflowError, UsageError } from '../engine/errors';
import type { CliCommand } from './command';
import { Interrupts, SIGINT_EXIT } from './signals';
import { predictCommand } from './commands/predict';
import { layersCommand } from './commands/layers';
import { attributeCommand } from './commands/attribute';
import { analyseCommand } from './commands/analyse';
import { debugCommand } from './commands/debug';
import { fidelityCommand } from './commands/fidelity';
import { demoCommand } from './commands/demo';
import { auditCommand } from './commands/audit';
import { atlasCommand } from './commands/atlas';
import { diffCommand } from './commands/diff';

const COMMANDS: CliCommand[] = [
  layersCommand,
  attributeCommand,
  predictCommand,
  analyseCommand,
  debugCommand,
  fidelityCommand,
  demoCommand,
  auditCommand,
  atlasCommand,
  diffCommand,
];

/** The package's version, from the package.json above this file (the source tree or the dist bundle). */
export function version(start = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'neurflow-vscode' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  return [
    'usage: neurflow <command> [options]   (neurflow <command> --help for details; neurflow --version)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/**
 * Runs one command. `interrupts` is the Ctrl-C handling (installed by the entry point below; tests pass their
 * own or none): once Ctrl-C was pressed the result is exit code 130, whatever the command returned or threw.
 */
export async function main(argv: string[], interrupts: Interrupts = new Interrupts()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    console.log(help());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    console.log(`neurflow ${version()}`);
    return 0;
  }
  if (!name) {
    console.error(help());
    return 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`neurflow: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  interrupts.setCancellable(command.cancellable === true);
  try {
    const code = await command.run(rest, interrupts.signal);
    return interrupts.interrupted ? SIGINT_EXIT : code;
  } catch (e) {
    if (interrupts.interrupted) {
      console.error(`neurflow ${name}: cancelled${e instanceof NeurflowError ? ` (${e.message})` : ''}`);
      return SIGINT_EXIT;
    }
    if (e instanceof NeurflowError) {
      console.error(`neurflow ${name}: ${e.message}`);
      // Bad arguments exit 2 (as an unknown command does); failures of the work itself exit 1.
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  } finally {
    interrupts.setCancellable(false);
  }
}

if (require.main === module) {
  const interrupts = new Interrupts().install();
  // Work still in flight when Ctrl-C ended a command may reject later: that is the cancellation, not a crash.
  process.on('unhandledRejection', (e) => {
    if (interrupts.interrupted) return;
    console.error(e);
    process.exit(70);
  });
  main(process.argv.slice(2), interrupts).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e);
      process.exitCode = interrupts.interrupted ? SIGINT_EXIT : 70;
    },
  );
}

/**
 * `neurflow` command line: the engine without VS Code. Each subcommand is one module in `commands/`,
 * listed in the table below (the only registration).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { NeurflowError, UsageError } from '../engine/errors';
import type { CliCommand } from './command';
import { predictCommand } from './commands/predict';
import { layersCommand } from './commands/layers';
import { attributeCommand } from './commands/attribute';
import { analyseCommand } from './commands/analyse';
import { debugCommand } from './commands/debug';
import { fidelityCommand } from './commands/fidelity';
import { demoCommand } from './commands/demo';
import { auditCommand } from './commands/audit';

const COMMANDS: CliCommand[] = [layersCommand, attributeCommand, predictCommand, analyseCommand, debugCommand, fidelityCommand, demoCommand, auditCommand];

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

export async function main(argv: string[]): Promise<number> {
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
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof NeurflowError) {
      console.error(`neurflow ${name}: ${e.message}`);
      // Bad arguments exit 2 (as an unknown command does); failures of the work itself exit 1.
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { console.error(e); process.exitCode = 70; },
  );
}

/**
 * `neurflow` command line: the engine without VS Code. Each subcommand is one module in `commands/`,
 * listed in the table below (the only registration).
 */
import { NeurflowError } from '../engine/errors';
import type { CliCommand } from './command';
import { predictCommand } from './commands/predict';
import { layersCommand } from './commands/layers';
import { attributeCommand } from './commands/attribute';
import { analyseCommand } from './commands/analyse';
import { debugCommand } from './commands/debug';
import { fidelityCommand } from './commands/fidelity';
import { demoCommand } from './commands/demo';

const COMMANDS: CliCommand[] = [layersCommand, attributeCommand, predictCommand, analyseCommand, debugCommand, fidelityCommand, demoCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  return [
    'usage: neurflow <command> [options]   (neurflow <command> --help for details)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(help());
    return name ? 0 : 2;
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
      return 1;
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

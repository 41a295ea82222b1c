/** Runs the `neurflow` CLI in this process (src/cli/main.ts), capturing what it prints. */
import { main } from '../../src/cli/main';
import { Interrupts } from '../../src/cli/signals';

/** `interrupts` defaults to one that never exits the test process. */
export async function runCli(args: string[], interrupts = new Interrupts({ exit: () => {} })): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    const code = await main(args, interrupts);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** Argument helpers shared by the CLI commands: one parse with usage on error, and checked numbers. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../engine/errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` with positionals allowed; a bad option becomes a UsageError that ends with the command's usage. */
export function parseCommandArgs<const O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true as const });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage}`);
  }
}

export function positiveInt(value: string | undefined, name: string, usage: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${value}'\n${usage}`);
  return n;
}

export function positiveNumber(value: string | undefined, name: string, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`--${name} must be a positive number, got '${value}'\n${usage}`);
  return n;
}

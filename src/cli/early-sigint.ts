/**
 * Imported first by the CLI entry (main.ts), before the engine and onnxruntime load: counts a Ctrl-C that
 * arrives while the rest is still loading, so that even then the CLI exits 130 (signals.ts takes it over).
 */
const early: { count: number; handler?: () => void } = { count: 0 };
early.handler = () => {
  early.count++;
};
globalThis.__neurflowEarlySigint = early;
// Only when the CLI is the program (dist/cli.js, or src/cli/main.ts run directly), never when a test imports it.
if (/(?:^|[\\/])(?:cli\.js|cli[\\/]main\.ts)$/.test(require.main?.filename ?? '')) {
  process.on('SIGINT', early.handler);
}

export {};

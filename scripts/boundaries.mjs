// The architecture rules (docs/design.md section 2), stated once: used by the esbuild plugin in scripts/build.mjs (the
// build fails on a violation) and by test/unit/boundaries.test.ts (which checks every import of the sources).
import { join, relative } from 'node:path';

/** The part of the project a file belongs to, by its path relative to the repository root. */
export function partOf(file) {
  return /^src\/(engine|worker|extension|cli|protocol)\//.exec(file)?.[1] ?? (file.startsWith('webview/') ? 'webview' : undefined);
}

/**
 * What each part must not import. The parts meet only through src/protocol and the engine: worker and extension
 * never import each other, the engine imports none of the others, and the webview reads only the engine's pure
 * modules and the protocol.
 */
export const FORBIDDEN = {
  engine: ['worker', 'extension', 'cli', 'protocol', 'webview'],
  protocol: ['worker', 'extension', 'cli', 'webview'],
  worker: ['extension', 'cli', 'webview'],
  extension: ['worker', 'cli', 'webview'],
  cli: ['worker', 'extension', 'webview'],
  webview: ['worker', 'extension', 'cli'],
};

/** Why importing `to` from `from` (both relative to the root) breaks the rules, or undefined. */
export function violation(from, to) {
  const [a, b] = [partOf(from), partOf(to)];
  if (a && b && FORBIDDEN[a]?.includes(b)) return `${from} imports ${to}: ${a} must not import ${b} (shared code belongs in src/engine or src/protocol)`;
  if (to === 'vscode' && a === 'engine') return `${from} imports 'vscode': the engine must run without VS Code`;
  if (to === 'onnxruntime-node' && from !== 'src/engine/runtime/ort.ts') return `${from} imports onnxruntime-node: only src/engine/runtime/ort.ts may`;
  return undefined;
}

/** The esbuild plugin: every import esbuild resolves is checked. */
export function boundariesPlugin(root) {
  return {
    name: 'boundaries',
    setup(build) {
      build.onResolve({ filter: /^(\.|vscode$|onnxruntime-node$)/ }, (args) => {
        const from = relative(root, args.importer);
        const to = args.path.startsWith('.') ? relative(root, join(args.resolveDir, args.path)) : args.path;
        const why = violation(from, to);
        return why ? { errors: [{ text: why }] } : undefined; // else resolved as usual
      });
    },
  };
}

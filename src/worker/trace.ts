/**
 * Reading the source metadata that newer torch exporters (`torch.onnx.export(..., dynamo=True)`) write on every
 * node's `metadata_props`: `pkg.torch.onnx.name_scopes` and `pkg.torch.onnx.class_hierarchy` (the Python
 * `repr` of two aligned lists: module paths from the root `''` down, the node's own name last) and
 * `pkg.torch.onnx.stack_trace` (a Python traceback: `File "x.py", line 12, in forward`, outermost first).
 */
import type { TraceFrame } from '../protocol/analysis';

export const NAME_SCOPES = 'pkg.torch.onnx.name_scopes';
export const CLASS_HIERARCHY = 'pkg.torch.onnx.class_hierarchy';
export const STACK_TRACE = 'pkg.torch.onnx.stack_trace';

/** The strings of a Python list repr (`['', 'layer2', "it's"]`); [] for anything else. */
export function parsePyStrings(repr: string | undefined): string[] {
  if (!repr) return [];
  const out: string[] = [];
  const re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(repr); m; m = re.exec(repr)) out.push((m[1] ?? m[2]).replace(/\\(.)/g, '$1'));
  return out;
}

/** The frames of a Python traceback, outermost first. */
export function parseStackTrace(trace: string | undefined): TraceFrame[] {
  if (!trace) return [];
  const frames: TraceFrame[] = [];
  const re = /File "([^"]+)", line (\d+)(?:, in ([^\s]+))?/g;
  for (let m = re.exec(trace); m; m = re.exec(trace)) frames.push({ file: m[1], line: Number(m[2]), ...(m[3] ? { function: m[3] } : {}) });
  return frames;
}

/**
 * The block-level module path among a node's name scopes, by the rule layer detection uses for node names:
 * the top module, or its numbered child (`layer2` + `layer2.1` -> `layer2.1`; `fc` -> `fc`). `prefer`, when it is
 * one of the scopes, wins (the layer's own name).
 */
export function moduleOfScopes(scopes: readonly string[], prefer?: string): string | undefined {
  const modules = scopes.slice(0, -1).filter((s) => s !== '');
  if (prefer && modules.includes(prefer)) return prefer;
  const [top, child] = modules;
  if (top === undefined) return undefined;
  return child?.startsWith(`${top}.`) && /^\d+$/.test(child.slice(top.length + 1)) ? child : top;
}

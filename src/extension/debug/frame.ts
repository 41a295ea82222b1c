/**
 * The paused Python frame Explain Batch evaluates in: the frame selected in the Call Stack view
 * (`vscode.debug.activeStackItem`), else the top frame of the first stopped thread, and DAP `evaluate` in it.
 * Only sessions of the Python extension's debugger (`debugpy`, formerly `python`) qualify.
 */
import * as vscode from 'vscode';
import { UsageError } from '../../engine/errors';

export const PYTHON_DEBUG_TYPES: readonly string[] = ['debugpy', 'python'];

export function isPythonSession(session: vscode.DebugSession | undefined): boolean {
  return !!session && PYTHON_DEBUG_TYPES.includes(session.type);
}

export interface PausedFrame {
  session: vscode.DebugSession;
  threadId: number;
  frameId: number;
  /** Source file and 1-based line where the frame is paused. */
  path: string;
  line: number;
  name: string;
}

interface DapFrame {
  id: number;
  name: string;
  line: number;
  source?: { path?: string; name?: string };
}

async function stackTrace(session: vscode.DebugSession, threadId: number, levels: number): Promise<DapFrame[]> {
  const r = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels })) as { stackFrames?: DapFrame[] };
  return r.stackFrames ?? [];
}

/**
 * A file path from a DAP source path. In a remote window (code-server, SSH) VS Code hands the adapter's paths
 * back as `vscode-remote://host/path` URIs: the path part is the file on the machine this host runs on.
 */
export function sourcePath(p: string): string {
  if (!/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(p)) return p;
  const uri = vscode.Uri.parse(p);
  return uri.scheme === 'file' ? uri.fsPath : uri.path;
}

function frameOf(session: vscode.DebugSession, threadId: number, f: DapFrame): PausedFrame {
  return { session, threadId, frameId: f.id, path: sourcePath(f.source?.path ?? f.source?.name ?? '<unknown>'), line: f.line, name: f.name };
}

/** The frame to evaluate in; throws UsageError when there is no stopped Python session. */
export async function pausedFrame(session = vscode.debug.activeDebugSession): Promise<PausedFrame> {
  if (!session) throw new UsageError('Explain Batch needs a Python debug session paused at a breakpoint; none is active');
  if (!isPythonSession(session)) {
    throw new UsageError(`Explain Batch works in Python debug sessions (debugpy); the active session '${session.name}' is of type ${session.type}`);
  }
  const item = vscode.debug.activeStackItem;
  if (item && item.session.id === session.id) {
    const frames = await stackTrace(session, item.threadId, 200).catch(() => []);
    const wanted = item instanceof vscode.DebugStackFrame ? frames.find((f) => f.id === item.frameId) : frames[0];
    if (wanted) return frameOf(session, item.threadId, wanted);
  }
  const threads = ((await session.customRequest('threads')) as { threads?: { id: number }[] }).threads ?? [];
  for (const t of threads) {
    const frames = await stackTrace(session, t.id, 1).catch(() => []);
    if (frames.length > 0) return frameOf(session, t.id, frames[0]);
  }
  throw new UsageError(`the Python debug session '${session.name}' is running: pause it or stop at a breakpoint, then run Explain Batch`);
}

/** DAP `evaluate` in the frame (repl context); resolves with the value's text. */
export function evaluator(frame: PausedFrame): (expression: string) => Promise<string> {
  return async (expression) => {
    const r = (await frame.session.customRequest('evaluate', { expression, frameId: frame.frameId, context: 'repl' })) as { result?: string };
    return r.result ?? '';
  };
}

/**
 * A minimal Debug Adapter Protocol client over stdio for the tests and the transfer benchmark: it starts
 * Debian's debugpy adapter (`/usr/bin/python3 -m debugpy.adapter`), launches a Python program, stops at a
 * breakpoint and evaluates expressions in the stopped frame: what VS Code does for the extension.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const DEBIAN_PYTHON = '/usr/bin/python3';

/** Why the Debian python with debugpy and NumPy cannot be used here, or undefined when it can. */
export function debugpyMissing(): string | undefined {
  if (!existsSync(DEBIAN_PYTHON)) return `${DEBIAN_PYTHON} not found`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', 'import debugpy, numpy'], { encoding: 'utf8' });
  return r.status === 0
    ? undefined
    : `${DEBIAN_PYTHON} lacks debugpy or numpy (apt-get install python3-debugpy python3-numpy): ${r.stderr.trim().split('\n').pop()}`;
}

interface DapMessage {
  seq: number;
  type: string;
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

export interface StoppedFrame {
  threadId: number;
  frameId: number;
  path: string;
  line: number;
  name: string;
}

export class DapClient {
  private seq = 1;
  private buf = Buffer.alloc(0);
  private readonly pending = new Map<number, (m: DapMessage) => void>();
  private readonly waiters: { event: string; resolve(m: DapMessage): void }[] = [];
  private readonly seen: DapMessage[] = [];
  readonly output: string[] = [];
  private readonly adapter: ChildProcess;

  constructor(python = DEBIAN_PYTHON) {
    this.adapter = spawn(python, ['-m', 'debugpy.adapter'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    });
    this.adapter.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.adapter.stderr!.on('data', (d: Buffer) => this.output.push(d.toString()));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const h = this.buf.indexOf('\r\n\r\n');
      if (h < 0) return;
      const len = Number(/Content-Length: (\d+)/i.exec(this.buf.subarray(0, h).toString())?.[1]);
      if (this.buf.length < h + 4 + len) return;
      const m = JSON.parse(this.buf.subarray(h + 4, h + 4 + len).toString()) as DapMessage;
      this.buf = this.buf.subarray(h + 4 + len);
      if (m.type === 'response') this.pending.get(m.request_seq!)?.(m);
      else if (m.type === 'event') this.onEvent(m);
    }
  }

  private onEvent(m: DapMessage): void {
    if (m.event === 'output') this.output.push(String(m.body?.output ?? ''));
    const i = this.waiters.findIndex((w) => w.event === m.event);
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    else this.seen.push(m);
  }

  /** Sends a request; resolves with the response body, rejects with the adapter's message. */
  request(command: string, args: unknown): Promise<Record<string, unknown>> {
    const seq = this.seq++;
    const text = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.adapter.stdin!.write(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
    return new Promise((resolve, reject) =>
      this.pending.set(seq, (m) => {
        this.pending.delete(seq);
        if (m.success) resolve(m.body ?? {});
        else reject(new Error(m.message ?? `${command} failed`));
      }),
    );
  }

  event(name: string, timeoutMs = 30_000): Promise<DapMessage> {
    const i = this.seen.findIndex((m) => m.event === name);
    if (i >= 0) return Promise.resolve(this.seen.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no '${name}' event within ${timeoutMs} ms; adapter output: ${this.output.join('').slice(-500)}`)),
        timeoutMs,
      );
      this.waiters.push({
        event: name,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Launches `program` and resolves with the frame stopped at the breakpoint on `line`. */
  async launchToLine(program: string, line: number, cwd: string): Promise<StoppedFrame> {
    await this.request('initialize', { adapterID: 'debugpy', clientID: 'neurflow-test', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    // `launch` answers only after configurationDone: don't await it first.
    const launched = this.request('launch', { program, python: [DEBIAN_PYTHON], console: 'internalConsole', justMyCode: true, cwd });
    await this.event('initialized');
    await this.request('setBreakpoints', { source: { path: program }, breakpoints: [{ line }] });
    await this.request('configurationDone', {});
    await launched;
    const stopped = await this.event('stopped');
    const threadId = Number(stopped.body?.threadId);
    const st = await this.request('stackTrace', { threadId, startFrame: 0, levels: 1 });
    const f = (st.stackFrames as { id: number; line: number; name: string; source: { path: string } }[])[0];
    return { threadId, frameId: f.id, path: f.source.path, line: f.line, name: f.name };
  }

  /** Evaluates in a frame; resolves with the value's text. */
  async evaluate(expression: string, frameId: number, context = 'repl'): Promise<string> {
    const body = await this.request('evaluate', { expression, frameId, context });
    return String(body.result ?? '');
  }

  /** Ends the debuggee and the adapter. */
  async close(): Promise<void> {
    await Promise.race([this.request('disconnect', { terminateDebuggee: true }).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    if (this.adapter.exitCode === null) this.adapter.kill();
  }
}

/**
 * Webview test harness: serves the built bundle (dist/) and the panel's real HTML document (the host's
 * `panelHtml`, same CSP) over http on 127.0.0.1, and opens it in headless Chromium (playwright-core + the
 * system's chromium) with a stand-in for `acquireVsCodeApi` that records what the webview posts and keeps its
 * state across reloads (as VS Code does).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { panelHtml } from '../../src/extension/html';

export const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
export const OUT = path.join(ROOT, '.test-out', 'webview');

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json' };

/** VS Code's dark theme colours, a subset, so screenshots look like the real panel. */
const DARK_THEME = `
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-editor-font-family: monospace;
  --vscode-editor-font-size: 12px; --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f;
  --vscode-descriptionForeground: #9d9d9d; --vscode-textLink-foreground: #4daafc; --vscode-focusBorder: #0078d4;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-errorForeground: #f85149;
  --vscode-textPreformat-foreground: #d0d0d0; --vscode-panel-border: #2b2b2b; --vscode-button-background: #0078d4;
  --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;`;

export interface Harness {
  page: Page;
  url: string;
  /** Messages the webview posted to the host so far. */
  posted(): Promise<{ type: string; [k: string]: unknown }[]>;
  /** Sends a message to the webview as the host does. */
  send(message: unknown): Promise<void>;
  /** Waits until the webview has posted a message of `type` (the `n`-th one, 1-based). */
  waitForPosted(type: string, n?: number): Promise<{ type: string; [k: string]: unknown }>;
  /** CSP violations reported by the page. */
  violations(): Promise<string[]>;
  close(): Promise<void>;
}

function findChromium(): string {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('no Chromium found: install Debian\'s chromium (apt-get install chromium) or set $CHROMIUM');
  return found;
}

let browser: Browser | undefined;

export async function openPanel(): Promise<Harness> {
  if (!existsSync(path.join(DIST, 'webview.js'))) throw new Error('dist/webview.js is missing: run `npm run build` first');
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.setHeader('content-type', 'text/html');
      res.end(panelHtml({
        cspSource: origin, scriptUri: `${origin}/webview.js`, styleUri: `${origin}/webview.css`,
        codiconUri: `${origin}/codicons/codicon.css`, nonce: `n${Date.now()}`, title: 'NeurFlow test',
      }));
      return;
    }
    const file = path.join(DIST, path.normalize(url.pathname));
    if (!file.startsWith(DIST) || !existsSync(file)) { res.statusCode = 404; res.end(); return; }
    res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser ??= await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  // A string, not a function: the test's TypeScript transform would leave helper calls in a serialised function.
  await page.addInitScript(`(() => {
    window.__posted = [];
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => JSON.parse(sessionStorage.getItem('vscodeState') ?? 'null'),
        setState: (s) => sessionStorage.setItem('vscodeState', JSON.stringify(s)),
      };
    };
    // VS Code sets its theme variables on <html> through the CSSOM (which the CSP allows).
    const theme = ${JSON.stringify(DARK_THEME)};
    document.addEventListener('DOMContentLoaded', () => {
      for (const decl of theme.split(';')) {
        const [k, ...v] = decl.split(':');
        if (k.trim()) document.documentElement.style.setProperty(k.trim(), v.join(':').trim());
      }
    });
  })();`);
  await page.goto(url);
  const posted = () => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
  return {
    page,
    url,
    posted: posted as Harness['posted'],
    send: (message) => page.evaluate((m) => window.postMessage(m, '*'), message),
    async waitForPosted(type, n = 1) {
      await page.waitForFunction(([t, k]) => (window as unknown as { __posted: { type: string }[] }).__posted
        .filter((m) => m.type === t).length >= (k as number), [type, n] as const, { timeout: 10_000 });
      return (await posted()).filter((m) => m.type === type)[n - 1] as { type: string };
    },
    violations: () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
    async close() {
      await page.close();
      await new Promise((r) => server.close(r));
    },
  };
}

export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = undefined;
}

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

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/** VS Code's Dark Modern / Light Modern colours, a subset, so screenshots look like the real panel. */
const COMMON = `
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-editor-font-family: monospace;
  --vscode-editor-font-size: 12px;`;
export const THEMES = {
  dark: `${COMMON}
  --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f;
  --vscode-descriptionForeground: #9d9d9d; --vscode-textLink-foreground: #4daafc; --vscode-focusBorder: #0078d4;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-errorForeground: #f85149;
  --vscode-textPreformat-foreground: #d0d0d0; --vscode-panel-border: #2b2b2b; --vscode-button-background: #0078d4;
  --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;
  --vscode-charts-blue: #3794ff; --vscode-charts-red: #f14c4c; --vscode-charts-orange: #d18616; --vscode-charts-yellow: #cca700;
  --vscode-charts-green: #89d185; --vscode-list-hoverBackground: #2a2d2e; --vscode-list-activeSelectionBackground: #04395e;
  --vscode-list-activeSelectionForeground: #ffffff; --vscode-list-inactiveSelectionBackground: #37373d;
  --vscode-editorWidget-background: #202020; --vscode-widget-border: #313131; --vscode-dropdown-background: #313131;
  --vscode-dropdown-border: #3c3c3c; --vscode-dropdown-foreground: #cccccc; --vscode-progressBar-background: #0078d4;
  --vscode-panelTitle-activeBorder: #0078d4; --vscode-editorWarning-foreground: #cca700;
  --vscode-sideBar-background: #181818; --vscode-sideBarSectionHeader-background: #181818;
  --vscode-sideBarTitle-foreground: #cccccc; --vscode-icon-foreground: #cccccc;`,
  light: `${COMMON}
  --vscode-foreground: #3b3b3b; --vscode-editor-background: #ffffff;
  --vscode-descriptionForeground: #717171; --vscode-textLink-foreground: #005fb8; --vscode-focusBorder: #005fb8;
  --vscode-badge-background: #cccccc; --vscode-badge-foreground: #3b3b3b; --vscode-errorForeground: #f85149;
  --vscode-textPreformat-foreground: #3b3b3b; --vscode-panel-border: #e5e5e5; --vscode-button-background: #005fb8;
  --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #e5e5e5; --vscode-button-secondaryForeground: #3b3b3b;
  --vscode-charts-blue: #1a85ff; --vscode-charts-red: #e51400; --vscode-charts-orange: #d18616; --vscode-charts-yellow: #bf8803;
  --vscode-charts-green: #388a34; --vscode-list-hoverBackground: #f2f2f2; --vscode-list-activeSelectionBackground: #e8e8e8;
  --vscode-list-activeSelectionForeground: #000000; --vscode-list-inactiveSelectionBackground: #e4e6f1;
  --vscode-editorWidget-background: #f8f8f8; --vscode-widget-border: #e5e5e5; --vscode-dropdown-background: #ffffff;
  --vscode-dropdown-border: #cecece; --vscode-dropdown-foreground: #3b3b3b; --vscode-progressBar-background: #005fb8;
  --vscode-panelTitle-activeBorder: #005fb8; --vscode-editorWarning-foreground: #bf8803;
  --vscode-sideBar-background: #f8f8f8; --vscode-sideBarSectionHeader-background: #f8f8f8;
  --vscode-sideBarTitle-foreground: #3b3b3b; --vscode-icon-foreground: #3b3b3b;`,
};
export type ThemeName = keyof typeof THEMES;

export interface PanelOptions {
  /** Extra folders served under `/<prefix>/` (e.g. a dataset as `/data/`). */
  serve?: Record<string, string>;
  theme?: ThemeName;
  viewport?: { width: number; height: number };
}

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
  /** console.error messages and uncaught page errors so far. */
  errors(): string[];
  /** Switches the theme as VS Code does (body class + variables on <html>). */
  setTheme(theme: ThemeName): Promise<void>;
  close(): Promise<void>;
}

function findChromium(): string {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error("no Chromium found: install Debian's chromium (apt-get install chromium) or set $CHROMIUM");
  return found;
}

let browser: Browser | undefined;

export async function openPanel(options: PanelOptions = {}): Promise<Harness> {
  if (!existsSync(path.join(DIST, 'webview.js'))) throw new Error('dist/webview.js is missing: run `npm run build` first');
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.setHeader('content-type', 'text/html');
      res.end(
        panelHtml({
          cspSource: origin,
          scriptUri: `${origin}/webview.js`,
          styleUri: `${origin}/webview.css`,
          codiconUri: `${origin}/codicons/codicon.css`,
          nonce: `n${Date.now()}`,
          title: 'NeurFlow test',
        }),
      );
      return;
    }
    const [, first, ...rest] = decodeURIComponent(url.pathname).split('/');
    const base = options.serve?.[first] !== undefined ? path.resolve(options.serve[first]) : DIST;
    const file = path.join(base, path.normalize(base === DIST ? url.pathname : `/${rest.join('/')}`));
    if (!file.startsWith(base) || !existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  });
  // The browser first: when there is none, nothing is left listening (a listening server kept the test
  // process alive forever on machines without Chromium).
  browser ??= await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox', '--disable-gpu'] });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 900, height: 700 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    // Chromium asks for /favicon.ico by itself; a webview in VS Code does not.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) errors.push(`console.error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.stack ?? e.message}`));
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
    // VS Code sets its theme variables on <html> through the CSSOM (which the CSP allows) and a body class.
    window.__setTheme = (name, theme) => {
      for (const decl of theme.split(';')) {
        const [k, ...v] = decl.split(':');
        if (k.trim()) document.documentElement.style.setProperty(k.trim(), v.join(':').trim());
      }
      document.body.classList.remove('vscode-dark', 'vscode-light');
      document.body.classList.add('vscode-' + name);
      document.body.dataset.vscodeThemeKind = 'vscode-' + name;
    };
    const initial = ${JSON.stringify(options.theme ?? 'dark')};
    const themes = ${JSON.stringify(THEMES)};
    document.addEventListener('DOMContentLoaded', () => window.__setTheme(initial, themes[initial]));
  })();`);
  await page.goto(url);
  const posted = () => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
  return {
    page,
    url,
    posted: posted as Harness['posted'],
    send: (message) => page.evaluate((m) => window.postMessage(m, '*'), message),
    async waitForPosted(type, n = 1) {
      await page.waitForFunction(
        ([t, k]) => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === t).length >= (k as number),
        [type, n] as const,
        { timeout: 10_000 },
      );
      return (await posted()).filter((m) => m.type === type)[n - 1] as { type: string };
    },
    violations: () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
    errors: () => [...errors],
    setTheme: (theme) =>
      page.evaluate(([n, t]) => (window as unknown as { __setTheme(n: string, t: string): void }).__setTheme(n, t), [theme, THEMES[theme]] as const),
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

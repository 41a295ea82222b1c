/**
 * The panel's HTML document. Pure (no `vscode` import) so the webview tests load exactly this document.
 * Strict CSP: nothing but our own bundle (by nonce) and resources from the webview's resource roots.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** URIs (as strings) of `dist/webview.js` and `dist/webview.css`. */
  scriptUri: string;
  styleUri: string;
  /** URI of `dist/codicons/codicon.css` (the icon font vscode-elements' `vscode-icon` looks up by id). */
  codiconUri: string;
  /** Fresh per document load. */
  nonce: string;
  title: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function panelHtml(o: PanelHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data: blob:`,
    // Lit (vscode-elements) adopts constructed stylesheets; the nonce covers our own <style> if any.
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(o.codiconUri)}" id="vscode-codicon-stylesheet" nonce="${o.nonce}">
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}" nonce="${o.nonce}">
<title>${escapeHtml(o.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script type="module" nonce="${o.nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>`;
}

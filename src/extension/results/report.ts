/**
 * Saving what the panel exports (issue 18): the circuit as a PNG, and the self-contained HTML report the webview
 * builds (webview/result/report.ts). The report's dataset images (`<img data-embed="relative/path">`) are inlined
 * here as data URIs, read from the result's dataset root; an image that cannot be read (or escapes the root) is
 * dropped, so the file never points outside itself. `embedImages` is pure (no vscode) for the tests.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
};
/** Larger images are left out (a report stays small enough to mail). */
const MAX_IMAGE_BYTES = 2 * 1024 * 1024;

const unescapeHtml = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e as string]!);

/** Replaces every `<img data-embed="rel">` with the image inline (or removes it); returns the HTML and counts. */
export function embedImages(html: string, root: string | undefined): { html: string; embedded: number; dropped: number } {
  let embedded = 0;
  let dropped = 0;
  const out = html.replace(/<img data-embed="([^"]*)"([^>]*)>/g, (_all, rel: string, rest: string) => {
    const relative = unescapeHtml(rel);
    const file = root ? path.resolve(root, ...relative.split('/')) : undefined;
    const mime = file ? MIME[path.extname(file).toLowerCase()] : undefined;
    try {
      if (!file || !mime || !root || path.relative(root, file).startsWith('..')) throw new Error('outside');
      if (statSync(file).size > MAX_IMAGE_BYTES) throw new Error('too large');
      embedded++;
      return `<img src="data:${mime};base64,${readFileSync(file).toString('base64')}"${rest}>`;
    } catch {
      dropped++;
      return '';
    }
  });
  return { html: out, embedded, dropped };
}

/** A PNG data URI's bytes (undefined when it is not one). */
export function pngBytes(dataUri: string): Buffer | undefined {
  const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(dataUri);
  return m ? Buffer.from(m[1], 'base64') : undefined;
}

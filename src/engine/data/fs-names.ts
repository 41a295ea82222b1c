/**
 * File names that are not valid UTF-8. Node gives them as strings with U+FFFD in place of the bad bytes, and
 * such a string no longer names the file ("file not found" although it exists). The engine reads names as
 * bytes and keeps every byte that is not part of valid UTF-8 as a lone surrogate U+DC80..U+DCFF (Python's
 * `surrogateescape`): valid UTF-8 never decodes to a lone surrogate, so the mapping is exact both ways and the
 * name survives JSON (result documents) unchanged. `fsPath` turns such a string back into the bytes the file
 * system knows; every file access on a dataset path goes through it.
 */

const strict = new TextDecoder('utf-8', { fatal: true });

/** A name (or any bytes) as a string: UTF-8 where valid, each other byte as U+DC00 + byte. */
export function decodeFsName(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    // below: byte by byte
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 1) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    if (n > 1 && i + n <= bytes.length) {
      try {
        out += strict.decode(bytes.subarray(i, i + n));
        i += n;
        continue;
      } catch {
        // not a valid sequence: escape the lead byte
      }
    }
    out += String.fromCharCode(0xdc00 + b);
    i++;
  }
  return out;
}

const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** Whether a string carries escaped bytes (see decodeFsName). */
export function hasEscapedBytes(s: string): boolean {
  return ESCAPED.test(s);
}

/** The path to give to `fs`: the string itself, or its bytes when it carries escaped (non-UTF-8) bytes. */
export function fsPath(s: string): string | Buffer {
  if (!ESCAPED.test(s)) return s;
  const parts: Buffer[] = [];
  let run = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xdc80 && cp <= 0xdcff) {
      if (run) parts.push(Buffer.from(run, 'utf8'));
      run = '';
      parts.push(Buffer.of(cp - 0xdc00));
    } else run += ch;
  }
  if (run) parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** A path for messages: escaped bytes shown as \xNN. */
export function shownPath(s: string): string {
  if (!ESCAPED.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += cp >= 0xdc80 && cp <= 0xdcff ? `\\x${(cp - 0xdc00).toString(16).toUpperCase()}` : ch;
  }
  return out;
}

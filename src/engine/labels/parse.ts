/**
 * Reading a language model's replies: the label (and its one-sentence description) and the label check's list of
 * matching crops. Models are asked for JSON but do not always comply: code fences, prose around the object,
 * `Label: ...` lines and plain lists are accepted; a reply with nothing usable is a DataError naming the reply.
 */
import { DataError } from '../errors';

export interface ParsedLabel {
  label: string;
  description?: string;
}

const MAX_LABEL_CHARS = 60;

/** The first balanced `{...}` (or `[...]` when `open` is '[') in `text` that parses as JSON. */
function firstJson(text: string, open: '{' | '['): unknown {
  const close = open === '{' ? '}' : ']';
  for (let start = text.indexOf(open); start >= 0; start = text.indexOf(open, start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === open) depth++;
      else if (ch === close && --depth === 0) {
        try {
          return JSON.parse(text.slice(start, i + 1));
        } catch {
          break;
        }
      }
    }
  }
  return undefined;
}

/** Trims quotes, markdown emphasis, a trailing full stop and extra space; cuts long labels at a word boundary. */
export function cleanLabel(raw: string): string {
  let s = raw.replace(/\s+/g, ' ').trim();
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s
      .replace(/^[*_`"'“”‘’\s]+|[*_`"'“”‘’\s]+$/g, '')
      .replace(/[.;:,]+$/, '')
      .trim();
  }
  if (s.length > MAX_LABEL_CHARS) {
    const cut = s.slice(0, MAX_LABEL_CHARS + 1);
    const space = cut.lastIndexOf(' ');
    s = `${(space > 20 ? cut.slice(0, space) : cut.slice(0, MAX_LABEL_CHARS)).trim()}…`;
  }
  return s;
}

const excerpt = (text: string) => JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);

export function parseLabelResponse(text: string): ParsedLabel {
  const obj = firstJson(text, '{');
  let label: string | undefined;
  let description: string | undefined;
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    const o = obj as Record<string, unknown>;
    const l = o.label ?? o.name ?? o.concept;
    if (typeof l === 'string') label = l;
    const d = o.description ?? o.explanation;
    if (typeof d === 'string') description = d;
  }
  if (label === undefined) {
    const lines = text
      .replace(/```[a-z]*\n?/gi, '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const field = (name: string) => lines.map((l) => new RegExp(`^[*_#\\s]*${name}[*_\\s]*[:：][*_\\s]*(.+)$`, 'i').exec(l)?.[1]).find(Boolean);
    label = field('label') ?? (lines.length === 1 || lines.length === 2 ? lines[0] : undefined);
    description ??= field('description') ?? (label !== undefined && lines.length === 2 && !field('label') ? lines[1] : undefined);
  }
  const cleaned = label === undefined ? '' : cleanLabel(label);
  if (!cleaned) throw new DataError(`language model reply: no label found in ${excerpt(text)}`);
  const desc = description?.replace(/\s+/g, ' ').trim();
  return desc ? { label: cleaned, description: desc } : { label: cleaned };
}

/**
 * The crops the model says match, as 0-based indices into the `count` crops shown (numbered from 1 in the
 * prompt), ascending, without repeats; numbers outside 1..count are ignored.
 */
export function parseCheckResponse(text: string, count: number): number[] {
  const keep = (xs: unknown[]) =>
    [
      ...new Set(
        xs
          .map((x) => (typeof x === 'string' ? Number(x.trim()) : x))
          .filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= count)
          .map((x) => x - 1),
      ),
    ].sort((a, b) => a - b);
  const obj = firstJson(text, '{');
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    const m = (obj as Record<string, unknown>).matches ?? (obj as Record<string, unknown>).match;
    if (Array.isArray(m)) return keep(m);
  }
  const arr = firstJson(text, '[');
  if (Array.isArray(arr)) return keep(arr);
  const numbers = [...text.matchAll(/\b\d+\b/g)].map((m) => Number(m[0]));
  if (numbers.length > 0) return keep(numbers);
  if (/\b(none|no crops?|nothing)\b/i.test(text)) return [];
  throw new DataError(`language model reply to the label check: no crop numbers found in ${excerpt(text)}`);
}

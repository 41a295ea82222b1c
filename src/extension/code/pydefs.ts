/**
 * Finding where a PyTorch module is defined in Python source text, from its module path (`layer2.1`,
 * `features.5`, `classifier.1`, `fc`): the line that assigns the attribute (`self.layer2 = ...`), a keyed
 * container entry (`('layer2', ...)`, `add_module('layer2', ...)`), or a function of that name; for a numbered
 * child of an `nn.Sequential(...)` written out in place, the line of that element. Pure text (no `vscode`), so
 * it is unit-tested on its own; the extension's jump-to-code reads the workspace's `*.py` files and calls it.
 */

export interface PyDefinition {
  /** 0-based line and the column of the attribute name. */
  line: number;
  column: number;
  /** What matched, for the message and the ranking. */
  kind: 'attribute' | 'sequential-item' | 'keyed' | 'assignment' | 'def' | 'text';
  /** Higher is better: attribute assignments on `self` in an `nn.Module` beat bare text. */
  score: number;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `layer2.1` -> { attribute: 'layer2', index: 1 }; `features.5.conv` -> { attribute: 'conv', parent: 'features.5' }. */
export function splitModulePath(modulePath: string): { attribute: string; index?: number; parents: string[] } {
  const parts = modulePath.split('.').filter(Boolean);
  let index: number | undefined;
  if (parts.length > 1 && /^\d+$/.test(parts[parts.length - 1])) index = Number(parts.pop());
  const names = parts.filter((p) => !/^\d+$/.test(p));
  const attribute = names.pop() ?? modulePath;
  return { attribute, index, parents: names };
}

/**
 * The line where element `index` of the container opened at `open` (the offset of its `(` or `[`) starts, or
 * undefined when the container is built some other way (a loop, `*layers`, a helper's return value).
 */
export function containerItemLine(text: string, open: number, index: number): number | undefined {
  const at = containerItemOffset(text, open, index);
  return at === undefined ? undefined : lineOf(text, at);
}

/** The offset where element `index` of the container opened at `open` starts (see containerItemLine). */
function containerItemOffset(text: string, open: number, index: number): number | undefined {
  let depth = 0,
    item = 0,
    start = -1;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const q = ch;
      for (i++; i < text.length && text[i] !== q; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) continue;
    } else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) break;
    } else if (ch === ',' && depth === 1) {
      item++;
      start = -1;
      continue;
    } else if (ch === '*' && depth === 1 && start < 0) {
      return undefined; // `*layers`: positions are not in the text
    }
    if (depth >= 1 && start < 0 && !/\s/.test(ch) && item === index) start = i;
    if (start >= 0 && item === index) return start;
  }
  return undefined;
}

function lineOf(text: string, offset: number): number {
  let line = 0;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Candidate definitions of `modulePath` in one Python file, best first. */
export function findModuleDefinitions(text: string, modulePath: string): PyDefinition[] {
  const { attribute, index } = splitModulePath(modulePath);
  const name = escapeRegExp(attribute);
  const isModuleFile = /class\s+\w+\s*\([^)]*(?:nn\.)?Module\b/.test(text) || /\bnn\.Module\b/.test(text);
  const bonus = isModuleFile ? 5 : 0;
  const found: PyDefinition[] = [];
  const add = (offset: number, kind: PyDefinition['kind'], score: number) => {
    const line = lineOf(text, offset);
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    if (!found.some((f) => f.line === line)) found.push({ line, column: offset - lineStart, kind, score: score + bonus });
  };
  const patterns: [RegExp, PyDefinition['kind'], number][] = [
    [new RegExp(`\\bself\\.(${name})\\s*(?::[^=\\n]+)?=(?!=)`, 'g'), 'attribute', 100],
    [new RegExp(`\\badd_module\\(\\s*['"](${name})['"]`, 'g'), 'keyed', 90],
    [new RegExp(`\\(\\s*['"](${name})['"]\\s*,`, 'g'), 'keyed', 80],
    [new RegExp(`^[ \\t]*(${name})\\s*(?::[^=\\n]+)?=(?!=)`, 'gm'), 'assignment', 60],
    [new RegExp(`^[ \\t]*def\\s+(${name})\\s*\\(`, 'gm'), 'def', 40],
    [new RegExp(`['"](${name})['"]\\s*:`, 'g'), 'keyed', 50],
  ];
  for (const [re, kind, score] of patterns) {
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const at = m.index + m[0].indexOf(m[1]);
      add(at, kind, score);
      // A numbered child of a container written out in place: land on that element.
      if (index !== undefined && kind === 'attribute') {
        const rest = text.slice(m.index + m[0].length);
        const open = /^\s*(?:nn\.|torch\.nn\.)?(?:Sequential|ModuleList)\s*\(\s*\[?/.exec(rest);
        if (open) {
          const paren = m.index + m[0].length + rest.indexOf('(');
          const bracket = rest.slice(0, open[0].length).includes('[') ? m.index + m[0].length + rest.indexOf('[') : paren;
          const item = containerItemOffset(text, bracket, index);
          if (item !== undefined) {
            const line = lineOf(text, item);
            const column = item - (text.lastIndexOf('\n', item - 1) + 1);
            const same = found.find((f) => f.line === line);
            // On the attribute's own line the cursor stays on the attribute (a long line would scroll sideways).
            if (same) Object.assign(same, { kind: 'sequential-item', score: score + 10 + bonus });
            else found.push({ line, column, kind: 'sequential-item', score: score + 10 + bonus });
          }
        }
      }
    }
  }
  if (found.length === 0) {
    const any = new RegExp(`\\b${name}\\b`).exec(text);
    if (any) add(any.index, 'text', 10);
  }
  return found.sort((a, b) => b.score - a.score || a.line - b.line);
}

/**
 * Theme colours for canvas drawing (cytoscape cannot read CSS variables): VS Code's `--vscode-*` values read at
 * render time, normalised to `#rrggbb`, and a hook that fires when VS Code switches the theme.
 */
let probe: CanvasRenderingContext2D | null | undefined;

/** A CSS colour as `#rrggbb` (alpha dropped), or undefined when the browser cannot parse it. */
export function toHex(color: string): string | undefined {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe || !color) return undefined;
  probe.fillStyle = '#010203';
  probe.fillStyle = color;
  const v = String(probe.fillStyle);
  if (v === '#010203' && color.trim().toLowerCase() !== '#010203') return undefined;
  if (v.startsWith('#')) return v;
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(v);
  return m ? `#${[m[1], m[2], m[3]].map((x) => Number(x).toString(16).padStart(2, '0')).join('')}` : undefined;
}

/** The value of a theme variable as `#rrggbb`, else the first fallback variable that has one, else `fallback`. */
export function themeColor(names: string[], fallback: string): string {
  const styles = [getComputedStyle(document.documentElement), getComputedStyle(document.body)];
  for (const name of names) {
    for (const s of styles) {
      const hex = toHex(s.getPropertyValue(name).trim());
      if (hex) return hex;
    }
  }
  return fallback;
}

/** Calls `onChange` when VS Code changes the theme (body class or the variables on <html>); returns a disposer. */
export function onThemeChange(onChange: () => void): () => void {
  let pending = 0;
  const observer = new MutationObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(onChange);
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}

/**
 * The self-contained HTML report of a result (issue 18): the run's answers, the circuit (a PNG data URI from the
 * Circuit view), every group with its crops (the result's thumbnails, data URIs), the links between groups and the
 * class's mistakes. One file with inline CSS and no script that opens in any browser without VS Code. Dataset
 * images the webview cannot read are left as `<img data-embed="relative/path">`: the host inlines them
 * (src/extension/results/report.ts) and drops the ones it cannot read. Pure (no DOM), so it is testable in Node.
 */
import type { ResultViewMessage } from '../../src/protocol/webview';
import { cropRef, type GroupInfo } from './groups';
import type { ResultSession } from './session';

/** Mistakes listed per kind in the report. */
export const REPORT_MISTAKES = 24;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One line for the preprocessing a result used: "64×64 px, resize 72, centre crop 64, mean 0.5 0.5 0.5, std …". */
export function describePreprocessing(p: unknown): string {
  if (!p || typeof p !== 'object') return typeof p === 'string' ? p : 'unknown';
  const o = p as { size?: number[]; resize?: unknown; centerCrop?: unknown; mean?: number[]; std?: number[]; scale?: number };
  const parts: string[] = [];
  if (Array.isArray(o.size)) parts.push(`${o.size.join('×')} px`);
  if (o.resize !== null && o.resize !== undefined) parts.push(`resize ${Array.isArray(o.resize) ? o.resize.join('×') : String(o.resize)}`);
  if (o.centerCrop !== null && o.centerCrop !== undefined)
    parts.push(`centre crop ${Array.isArray(o.centerCrop) ? o.centerCrop.join('×') : String(o.centerCrop)}`);
  const nums = (a: number[] | undefined) => (Array.isArray(a) ? a.map((x) => Number(x.toFixed(3))).join(' ') : undefined);
  if (nums(o.mean)) parts.push(`mean ${nums(o.mean)}`);
  if (nums(o.std)) parts.push(`std ${nums(o.std)}`);
  return parts.join(', ') || 'as recorded';
}

const CSS = `
:root { color-scheme: light dark; --fg: #1f1f1f; --muted: #666; --bg: #fff; --border: #ddd; --pos: #1a85ff; --neg: #e51400; }
@media (prefers-color-scheme: dark) { :root { --fg: #ddd; --muted: #9d9d9d; --bg: #1f1f1f; --border: #3c3c3c; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; padding: 16px 24px 40px; max-width: 1400px; }
h1 { font-size: 1.5em; margin: 0 0 8px; } h2 { margin: 28px 0 8px; border-bottom: 1px solid var(--border); padding-bottom: 4px; }
h3 { margin: 16px 0 6px; } .muted { color: var(--muted); }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; } dl.run dt { color: var(--muted); } dl.run dd { margin: 0; overflow-wrap: anywhere; }
.circuit { max-width: 100%; border: 1px solid var(--border); border-radius: 4px; }
.groups { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
.group { border: 1px solid var(--border); border-radius: 4px; padding: 8px 10px; }
.group h4 { margin: 0 0 4px; } .crops { display: flex; flex-wrap: wrap; gap: 4px; margin: 6px 0; }
.crops img, .mistakes img { width: 64px; height: 64px; object-fit: cover; image-rendering: pixelated; border: 1px solid var(--border); }
ul.links { margin: 4px 0 0; padding-left: 18px; } .pos { color: var(--pos); } .neg { color: var(--neg); }
.mistakes { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 8px; list-style: none; padding: 0; }
.mistakes li { display: flex; gap: 8px; align-items: center; font-size: 0.9em; overflow-wrap: anywhere; }
dl.terms dt { font-weight: 600; } dl.terms dd { margin: 0 0 6px; }
`;

function groupCard(session: ResultSession, g: GroupInfo, crops: number): string {
  const doc = session.doc;
  const imgs = g.crops
    .slice(0, crops)
    .map((id) => cropRef(doc, id))
    .filter((c) => c.thumbnail)
    .map((c) => `<img src="${esc(c.thumbnail!)}" alt="${esc(`crop ${c.id} of ${c.image}`)}" title="${esc(`${c.image} [${c.box.join(', ')}]`)}">`)
    .join('');
  const { inputs } = session.neighbours(g);
  const links = inputs
    .slice(0, 5)
    .map(
      (l) =>
        `<li>fed by ${esc(l.to.id)} <span class="${l.weight >= 0 ? 'pos' : 'neg'}">${l.weight >= 0 ? 'excites' : 'inhibits'}, weight ${l.weight.toFixed(3)}</span></li>`,
    )
    .join('');
  return `<section class="group" id="${esc(g.id)}"><h4>${esc(g.layer)} · G${g.index}${g.label ? ` “${esc(g.label)}”` : ''}</h4>
<div class="muted">${g.channels.length} core neuron${g.channels.length === 1 ? '' : 's'} (channels ${g.channels.join(', ')}), ${g.members.length} sub-concept${g.members.length === 1 ? '' : 's'}</div>
<div class="crops">${imgs || '<span class="muted">no crops recorded</span>'}</div>${links ? `<ul class="links">${links}</ul>` : ''}</section>`;
}

export interface ReportOptions {
  /** Crops per group (default 8). */
  crops?: number;
  /** Plain-word explanations of the terms (the panel's legend). */
  terms?: Record<string, string>;
}

/** The report as one HTML document. */
export function buildReport(session: ResultSession, message: ResultViewMessage, circuitPng: string | undefined, o: ReportOptions = {}): string {
  const doc = session.doc;
  const dataset = message.datasetRoot ?? doc.dataset.root;
  const run: [string, string][] = [
    ['Model', doc.model.path],
    ['Dataset', `${dataset} (${doc.dataset.imageCount} images)`],
    ['Preprocessing', describePreprocessing(doc.model.preprocessing)],
    ['Class', `${doc.class.name} (${doc.class.images.length} images ${doc.class.selection} as it)`],
    ['Layers', doc.layers.map((l) => l.name).join(' › ')],
    ['Tau', String(doc.params.tau)],
    ['Steps', String(doc.params.igSteps)],
    ['Created', doc.createdAt],
    ['Complete', doc.complete ? 'yes' : 'no (cancelled: finished layers only)'],
  ];
  const layers = session
    .groupedLayers()
    .map(
      (l) =>
        `<h3>${esc(l.name)} <span class="muted">${session.groups(l.name).length} groups, ${l.neurons.length} core neurons</span></h3>
<div class="groups">${session
          .groups(l.name)
          .map((g) => groupCard(session, g, o.crops ?? 8))
          .join('\n')}</div>`,
    )
    .join('\n');
  const lowest = doc.layers
    .filter((l) => !l.grouping && l.neurons.length > 0)
    .map(
      (l) =>
        `<p class="muted">${esc(l.name)}: ${l.neurons.length} core neurons (channels ${l.neurons.map((n) => n.channel).join(', ')}), not grouped (lowest layer).</p>`,
    )
    .join('');
  let mistakes = '<p class="muted">The dataset scan was not available: no mistakes listed.</p>';
  const scan = message.scan;
  if (scan) {
    const k = doc.class.index;
    const name = (c: number) => scan.classes[c] ?? `class ${c}`;
    const item = (im: (typeof scan.images)[number]) =>
      `<li><img data-embed="${esc(im.path)}" alt="${esc(im.path)}"><span><b>${esc(im.path)}</b><br>labelled ${esc(name(im.label))}, predicted ${esc(name(im.pred))} (${((im.probs[im.pred] ?? 0) * 100).toFixed(1)}%)</span></li>`;
    const missed = scan.images.filter((im) => im.label === k && im.pred !== k);
    const wrong = scan.images.filter((im) => im.pred === k && im.label !== k);
    const list = (title: string, all: typeof missed) =>
      `<h3>${esc(title)} <span class="muted">${all.length}${all.length > REPORT_MISTAKES ? `, first ${REPORT_MISTAKES} shown` : ''}</span></h3>` +
      (all.length ? `<ul class="mistakes">${all.slice(0, REPORT_MISTAKES).map(item).join('')}</ul>` : '<p class="muted">None.</p>');
    mistakes =
      `<p>Accuracy on the whole dataset: ${(scan.accuracy * 100).toFixed(1)}%.</p>` +
      list(`${doc.class.name} images the model got wrong`, missed) +
      list(`Other images the model calls ${doc.class.name}`, wrong);
  }
  const terms = o.terms
    ? `<h2>What the words mean</h2><dl class="terms">${Object.entries(o.terms)
        .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
        .join('')}</dl>`
    : '';
  const title = `NeurFlow report: ${doc.class.name} · ${doc.model.path.split(/[\\/]/).pop()}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<dl class="run">${run.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<h2>Circuit</h2>
${circuitPng ? `<img class="circuit" src="${esc(circuitPng)}" alt="The circuit of neuron groups, class ${esc(doc.class.name)} at the top">` : '<p class="muted">No circuit image.</p>'}
<p class="muted">The class at the top, each layer's groups below it; blue links excite, red links inhibit, width by |weight|.</p>
<h2>Groups</h2>
${layers}
${lowest}
<h2>Mistakes</h2>
${mistakes}
${terms}
<p class="muted">Made by NeurFlow for VS Code on ${esc(new Date().toISOString().slice(0, 16).replace('T', ' '))}.</p>
</body></html>
`;
}

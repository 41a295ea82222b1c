/**
 * The model view: file facts, inputs and outputs, the detected analysis layers and the operator counts.
 * Returns the layer names it shows (reported to the host in `rendered`).
 */
import type { LayerSummary, ModelSummary, TensorSummary } from '../../src/protocol/summary';
import { post } from '../api';
import { fmtBytes, fmtInt, fmtShape, h } from '../dom';

function table(columns: string[], headers: string[], rows: (string | Node)[][], label: string): HTMLElement {
  return h(
    'vscode-table',
    { zebra: true, 'bordered-columns': true, columns: JSON.stringify(columns), 'aria-label': label, class: 'table' },
    h(
      'vscode-table-header',
      { slot: 'header' },
      headers.map((t) => h('vscode-table-header-cell', {}, t)),
    ),
    h(
      'vscode-table-body',
      { slot: 'body' },
      rows.map((cells) =>
        h(
          'vscode-table-row',
          { tabindex: 0 },
          cells.map((c) => h('vscode-table-cell', {}, c)),
        ),
      ),
    ),
  );
}

const code = (s: string) => h('code', { title: s }, s);

function tensors(title: string, list: TensorSummary[]): HTMLElement {
  return h(
    'section',
    { class: 'block', 'aria-label': title },
    h('h2', {}, title, ' ', h('vscode-badge', { variant: 'counter' }, list.length)),
    table(
      ['40%', '20%', '40%'],
      ['Name', 'Type', 'Shape'],
      list.map((t) => [code(t.name), t.elemType, fmtShape(t.shape)]),
      title,
    ),
  );
}

function layers(list: LayerSummary[], note: string | undefined): HTMLElement {
  const body =
    list.length > 0
      ? table(
          ['6%', '20%', '20%', '16%', '38%'],
          ['#', 'Layer', 'Shape', 'Operator', 'Tensor'],
          // Bottom to top as detected; numbered from the input side.
          list.map((l, i) => [String(i + 1), h('strong', { class: 'layer-name' }, l.name), fmtShape(l.shape), l.op, code(l.tensor)]),
          'Analysis layers',
        )
      : h('p', { class: 'muted' }, note ?? 'No analysis layers were detected.');
  return h(
    'section',
    { class: 'block', id: 'layers', 'aria-label': 'Analysis layers' },
    h('h2', {}, 'Analysis layers ', h('vscode-badge', { variant: 'counter' }, list.length)),
    list.length > 0 && note ? h('p', { class: 'muted' }, note) : null,
    body,
  );
}

function operators(summary: ModelSummary): HTMLElement {
  return h(
    'vscode-collapsible',
    { heading: 'Operators', description: `${summary.operators.length} types, ${fmtInt(summary.nodeCount)} nodes`, open: true, class: 'block' },
    h(
      'ul',
      { class: 'ops', 'aria-label': 'Operator counts' },
      summary.operators.map((o) => h('li', {}, h('span', { class: 'op' }, o.opType), h('vscode-badge', { variant: 'counter' }, o.count))),
    ),
  );
}

export function renderModel(root: HTMLElement, summary: ModelSummary): string[] {
  const facts: [string, string][] = [
    ['File', fmtBytes(summary.sizeBytes)],
    ['Opset', String(summary.opset)],
    ['IR', String(summary.irVersion)],
    ['Weights', fmtInt(summary.parameterCount)],
  ];
  if (summary.producer) facts.push(['Producer', summary.producer]);
  if (summary.provider) facts.push(['Provider', summary.provider]);
  root.replaceChildren(
    h(
      'header',
      { class: 'title' },
      h('h1', {}, summary.fileName),
      h(
        'vscode-button',
        { secondary: true, icon: 'go-to-file', title: summary.path, onclick: () => post({ type: 'openFile', path: summary.path }) },
        'Reveal File',
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
    ),
    layers(summary.layers, summary.layersNote),
    h('div', { class: 'columns' }, tensors('Inputs', summary.inputs), tensors('Outputs', summary.outputs)),
    operators(summary),
  );
  return summary.layers.map((l) => l.name);
}

/**
 * The Group view (docs/design.md 1.4): a group's label (where it came from, editable, and Label Layer / Label All: see
 * ./label.ts), its member neurons (channel, sub-concept), the groups it feeds and is fed by, and its most
 * representative crops drawn as boxes on their source images. Clicking an image opens the file; "Jump to code"
 * asks the host for the module that defines the layer.
 */
import type { ResultViewMessage } from '../../src/protocol/webview';
import { imageUri } from '../../src/protocol/webview';
import { post } from '../api';
import { h } from '../dom';
import { boxedImage } from '../image-box';
import { cropRef, inputSize, type GroupInfo } from '../result/groups';
import type { CircuitLink, ResultSession } from '../result/session';
import { term } from './help';
import { labelBlock } from './label';

export interface GroupViewOptions {
  session: ResultSession;
  message: ResultViewMessage;
  group: GroupInfo;
  /** Another group was picked (a neighbour). */
  select(g: GroupInfo): void;
  /** Crops shown (default 12). */
  crops?: number;
}

function absPath(message: ResultViewMessage, rel: string): string | undefined {
  return message.datasetRoot ? `${message.datasetRoot.replace(/[\\/]+$/, '')}/${rel}` : undefined;
}

/** Posts `openImage` for a dataset image (relative path); false when the host gave no dataset root. */
export function openImage(message: ResultViewMessage, rel: string): boolean {
  const path = absPath(message, rel);
  if (path) post({ type: 'openImage', path });
  return path !== undefined;
}

function links(title: string, list: CircuitLink[], pick: (l: CircuitLink) => GroupInfo, select: (g: GroupInfo) => void): HTMLElement | null {
  if (list.length === 0) return null;
  const max = Math.max(...list.map((l) => Math.abs(l.weight)));
  return h(
    'div',
    { class: 'links' },
    h('h3', {}, title, ' ', h('span', { class: 'muted small' }, '(', term('weight'), ')')),
    h(
      'ul',
      {},
      list.slice(0, 8).map((l) => {
        const g = pick(l);
        const bar = h('span', { class: `bar ${l.weight >= 0 ? 'pos' : 'neg'}` });
        bar.style.width = `${Math.max(4, (Math.abs(l.weight) / (max || 1)) * 60)}px`;
        return h(
          'li',
          {},
          h(
            'button',
            {
              class: 'link',
              title: `weight ${l.weight.toFixed(4)}: ${l.weight >= 0 ? 'excites' : 'inhibits'}; ${Math.round((Math.abs(l.weight) / (max || 1)) * 100)}% of the strongest link listed here (weights compare within one pair of layers only)`,
              onclick: () => select(g),
            },
            g.thumbnail ? h('img', { src: g.thumbnail, alt: '', class: 'thumb small' }) : null,
            h('span', {}, `${g.layer} · ${g.caption}`),
            bar,
            h('span', { class: 'num' }, l.weight.toFixed(3)),
          ),
        );
      }),
    ),
  );
}

/** Renders the group (and reports its label as `rendered` view `label`); returns the crop ids it shows. */
export function renderGroup(el: HTMLElement, o: GroupViewOptions): string[] {
  const { session, message, group: g } = o;
  const doc = session.doc;
  const layer = session.layer(g.layer)!;
  const size = inputSize(doc);
  // Member neurons, one row per channel with its sub-concepts.
  const byChannel = new Map<number, typeof g.members>();
  for (const m of g.members) byChannel.set(m.channel, [...(byChannel.get(m.channel) ?? []), m]);
  const neuronRows = [...byChannel.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ch, ms]) =>
      h(
        'tr',
        {},
        h('td', { class: 'num' }, String(ch)),
        h('td', {}, ms.map((m) => `#${m.subconcept}`).join(', ')),
        h('td', { class: 'num' }, String(ms.reduce((s, m) => s + m.crops, 0))),
        h('td', { class: 'num' }, ms.map((m) => m.activation.toFixed(3)).join(', ')),
      ),
    );
  const crops = g.crops.slice(0, o.crops ?? 12).map((id) => cropRef(doc, id));
  const figures = crops.map((c) => {
    const src = imageUri(message, c.image) ?? c.thumbnail;
    const caption = h('span', {}, h('span', { class: 'path' }, c.image), ' ', h('span', { class: 'muted' }, `${Math.round(c.box[2] - c.box[0])} px`));
    if (!src) return h('figure', { class: 'boxed missing' }, h('div', { class: 'frame' }), h('figcaption', {}, caption));
    const onSource = src !== c.thumbnail;
    return boxedImage({
      src,
      alt: c.image,
      width: 128,
      caption,
      preprocessing: doc.model.preprocessing,
      inputSize: size,
      boxes: onSource ? [{ box: c.box, kind: 'crop', title: `crop ${c.id}` }] : [],
      isInput: !onSource,
      pixelated: size[0] <= 128,
      title: `${c.image}: crop ${c.box.join(', ')}${message.datasetRoot ? ' (click to open)' : ''}`,
      onOpen: message.datasetRoot ? () => openImage(message, c.image) : undefined,
    });
  });
  const { inputs, outputs } = session.neighbours(g);
  const sameLayer = session.groups(g.layer);
  const label = labelBlock({
    group: g,
    label: layer.grouping?.groups[g.index]?.label,
    groupCount: session.groupCount(g.layer),
    layerGroups: sameLayer.length,
    allGroups: session.allGroups().length,
    editable: message.file !== undefined,
  });
  el.replaceChildren(
    h(
      'header',
      { class: 'group-head' },
      g.thumbnail ? h('img', { src: g.thumbnail, alt: '', class: 'thumb large' }) : null,
      h(
        'div',
        { class: 'grow' },
        h('h2', { tabindex: -1 }, `${g.layer} · `, term('group', `G${g.index}`)),
        h(
          'p',
          { class: 'muted' },
          `${g.channels.length} `,
          term('core neuron', `core neuron${g.channels.length === 1 ? '' : 's'}`),
          `, ${g.members.length} `,
          term('sub-concept', `sub-concept${g.members.length === 1 ? '' : 's'}`),
          ` · group ${g.index + 1} of ${sameLayer.length} in ${g.layer} (${layer.shape.join('×')})`,
          doc.layers[0].grouping && doc.layers[0].name === g.layer ? ` · top layer of class ${doc.class.name}` : '',
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        h('vscode-button', {
          secondary: true,
          icon: 'arrow-left',
          disabled: g.index === 0,
          title: 'Previous group in this layer',
          'aria-label': 'Previous group',
          onclick: () => {
            if (g.index > 0) o.select(sameLayer[g.index - 1]);
          },
        }),
        h('vscode-button', {
          secondary: true,
          icon: 'arrow-right',
          disabled: g.index >= sameLayer.length - 1,
          title: 'Next group in this layer',
          'aria-label': 'Next group',
          onclick: () => {
            if (g.index < sameLayer.length - 1) o.select(sameLayer[g.index + 1]);
          },
        }),
        h(
          'vscode-button',
          {
            icon: 'go-to-file',
            title: `Open the code that defines ${g.layer}`,
            onclick: () => post({ type: 'jumpToCode', layer: g.layer, tensor: layer.tensor, group: g.index }),
          },
          'Jump to Code',
        ),
      ),
    ),
    label.element,
    h(
      'div',
      { class: 'group-body' },
      h(
        'section',
        { class: 'crops', 'aria-label': 'Top crops of the group' },
        h('h3', {}, 'Top crops ', h('vscode-badge', { variant: 'counter' }, g.crops.length)),
        crops.length > 0 ? h('div', { class: 'gallery' }, figures) : h('p', { class: 'muted' }, 'No crops recorded for this group.'),
      ),
      h(
        'aside',
        { class: 'group-side' },
        h(
          'section',
          { 'aria-label': 'Member neurons' },
          h('h3', {}, 'Member neurons'),
          h(
            'table',
            { class: 'neurons' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, term('core neuron', 'Channel')),
                h('th', {}, term('sub-concept', 'Sub-concepts')),
                h('th', {}, 'Crops'),
                h('th', {}, term('activation', 'Activation')),
              ),
            ),
            h('tbody', {}, neuronRows),
          ),
        ),
        links('Feeds (upper layer)', outputs, (l) => l.from, o.select),
        links('Fed by (lower layer)', inputs, (l) => l.to, o.select),
      ),
    ),
  );
  post({ type: 'rendered', view: 'label', items: label.items });
  return crops.map((c) => String(c.id));
}

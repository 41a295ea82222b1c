/**
 * The atlas view (issue 19): the classes of a `neurflow atlas` folder with their status and numbers from the
 * dataset scan, a filter box, sortable columns, and the groups shared across classes (member neurons, the diff
 * engine's Jaccard; computed by the host once the list is shown). Click or Enter on a class opens its result in
 * the panel; Arrow keys move between classes; a shared-group link opens the other class at that group.
 */
import type { AtlasClassRow, AtlasViewMessage, SharedGroup } from '../../src/protocol/atlas';
import { post } from '../api';
import { fmtInt, h } from '../dom';

type SortKey = 'class' | 'status' | 'images' | 'accuracy' | 'errors' | 'suspectedLabelErrors' | 'shortcuts' | 'shared';

interface AtlasUi {
  file: string;
  filter: string;
  sort: SortKey;
  desc: boolean;
  selected?: string;
}

let ui: AtlasUi | undefined;

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
const STATUS_ORDER = { done: 0, pending: 1, failed: 2, empty: 3 } as const;

/** `layer2.1 G1`. */
const groupName = (layer: string, group: number) => `${layer} G${group}`;

function sharedOf(m: AtlasViewMessage): Map<string, SharedGroup[]> {
  const by = new Map<string, SharedGroup[]>();
  for (const s of m.shared ?? []) by.set(s.class, [...(by.get(s.class) ?? []), s]);
  return by;
}

function openClass(name: string, layer?: string, group?: number): void {
  post({ type: 'openAtlasClass', class: name, ...(layer !== undefined && group !== undefined ? { layer, group } : {}) });
}

function sharedLink(s: SharedGroup, w: SharedGroup['with'][number]): HTMLElement {
  return h(
    'button',
    {
      class: 'atlas-link',
      type: 'button',
      title: `Open ${w.class} at ${groupName(s.layer, w.group)}${w.label ? ` (${w.label})` : ''}: ${Math.round(100 * w.similarity)}% of the member neurons in common`,
      onclick: (e: Event) => {
        e.stopPropagation();
        openClass(w.class, s.layer, w.group);
      },
      onkeydown: (e: KeyboardEvent) => e.stopPropagation(),
    },
    `${w.class} G${w.group}`,
  );
}

/** "shared with square G1 (layer2.1)", the links clickable. */
function sharedLine(s: SharedGroup, max = 3): HTMLElement {
  const links = s.with.slice(0, max).flatMap((w, i) => [i > 0 ? ', ' : '', sharedLink(s, w)]);
  return h(
    'div',
    { class: 'atlas-shared-line' },
    h('span', { class: 'muted' }, `G${s.group} (${s.layer}) shared with `),
    ...links,
    s.with.length > max ? h('span', { class: 'muted' }, ` +${s.with.length - max} more`) : null,
  );
}

export function renderAtlas(root: HTMLElement, m: AtlasViewMessage): string[] {
  // The host posts the view again once the shared groups are read: keep the keyboard focus where it was.
  const active = document.activeElement as HTMLElement | null;
  const hadFocus = active && root.contains(active) ? (active.classList.contains('atlas-filter') ? 'filter' : active.dataset.class) : undefined;
  if (!ui || ui.file !== m.file) ui = { file: m.file, filter: '', sort: 'class', desc: false };
  if (m.selected) ui.selected = m.selected;
  const state = ui;
  const shared = sharedOf(m);
  const hasLabelErrors = m.classes.some((c) => c.suspectedLabelErrors !== undefined);
  const hasShortcuts = m.classes.some((c) => c.shortcuts !== undefined);
  const done = m.classes.filter((c) => c.status === 'done').length;
  const model = m.model.split(/[\\/]/).pop() || m.model;

  const columns: [SortKey, string, boolean][] = [
    ['class', 'Class', false],
    ['status', 'Status', false],
    ['images', 'Images', true],
    ['accuracy', 'Accuracy', true],
    ['errors', 'Errors', true],
    ...(hasLabelErrors ? ([['suspectedLabelErrors', 'Suspected label errors', true]] as [SortKey, string, boolean][]) : []),
    ...(hasShortcuts ? ([['shortcuts', 'Shortcuts', true]] as [SortKey, string, boolean][]) : []),
    ['shared', 'Groups shared with other classes', false],
  ];

  const value = (c: AtlasClassRow, k: SortKey): number | string => {
    switch (k) {
      case 'class':
        return c.index;
      case 'status':
        return STATUS_ORDER[c.status];
      case 'accuracy':
        return c.accuracy ?? -1;
      case 'shared':
        return shared.get(c.class)?.length ?? 0;
      case 'suspectedLabelErrors':
        return c.suspectedLabelErrors ?? -1;
      case 'shortcuts':
        return c.shortcuts ?? -1;
      default:
        return c[k];
    }
  };

  const filterInput = h('input', {
    class: 'atlas-filter',
    type: 'search',
    placeholder: 'Filter: class, status or shared group',
    'aria-label': 'Filter classes',
    value: state.filter,
  });
  const count = h('span', { class: 'muted small atlas-count', role: 'status' });
  const tbody = h('tbody', {});
  const headRow = h('tr', {});
  const table = h('table', { class: 'atlas-table', 'aria-label': 'Classes of the atlas' }, h('thead', {}, headRow), tbody);

  const visible = (): AtlasClassRow[] => {
    const q = state.filter.trim().toLowerCase();
    const rows = m.classes.filter((c) => {
      if (!q) return true;
      const sharedText = (shared.get(c.class) ?? []).map((s) => `${s.layer} g${s.group} ${s.with.map((w) => w.class).join(' ')}`).join(' ');
      return `${c.class.toLowerCase()} ${c.status} ${sharedText.toLowerCase()}`.includes(q);
    });
    const dir = state.desc ? -1 : 1;
    return rows.sort((a, b) => {
      const [x, y] = [value(a, state.sort), value(b, state.sort)];
      return (x < y ? -1 : x > y ? 1 : 0) * dir || a.index - b.index;
    });
  };

  const rowsById = new Map<string, HTMLTableRowElement>();
  const select = (name: string, focus: boolean) => {
    state.selected = name;
    for (const [n, tr] of rowsById) {
      const on = n === name;
      tr.setAttribute('aria-selected', String(on));
      tr.tabIndex = on ? 0 : -1;
      if (on && focus) tr.focus();
    }
  };

  const fill = (): string[] => {
    const rows = visible();
    rowsById.clear();
    headRow.replaceChildren(
      ...columns.map(([key, label, numeric]) =>
        h(
          'th',
          { class: numeric ? 'num' : '', 'aria-sort': state.sort === key ? (state.desc ? 'descending' : 'ascending') : 'none', scope: 'col' },
          h(
            'button',
            {
              class: 'atlas-sort',
              type: 'button',
              title: `Sort by ${label.toLowerCase()}`,
              onclick: () => {
                if (state.sort === key) state.desc = !state.desc;
                else {
                  state.sort = key;
                  state.desc = numeric || key === 'shared';
                }
                fill();
              },
            },
            label,
            state.sort === key ? h('span', { class: `codicon codicon-arrow-${state.desc ? 'down' : 'up'}`, 'aria-hidden': 'true' }) : null,
          ),
        ),
      ),
    );
    tbody.replaceChildren(
      ...rows.map((c) => {
        const groups = shared.get(c.class) ?? [];
        const sharedCell =
          c.status !== 'done'
            ? h('span', { class: 'muted' }, '–')
            : m.sharedPending && !m.shared
              ? h('span', { class: 'muted' }, 'reading…')
              : groups.length === 0
                ? h('span', { class: 'muted' }, 'none')
                : h(
                    'div',
                    {},
                    ...groups.slice(0, 2).map((s) => sharedLine(s, 2)),
                    groups.length > 2 ? h('div', { class: 'muted small' }, `+${groups.length - 2} more groups (table below)`) : null,
                  );
        const tr = h(
          'tr',
          {
            class: `atlas-row status-${c.status}`,
            tabindex: -1,
            'data-class': c.class,
            'aria-selected': 'false',
            title: c.status === 'done' ? `Open the result of ${c.class} (Enter)` : (c.error ?? `${c.class}: ${c.status}`),
            onclick: () => {
              select(c.class, false);
              openClass(c.class);
            },
            onkeydown: (e: KeyboardEvent) => {
              const i = rows.indexOf(c);
              const move = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : e.key === 'Home' ? -i : e.key === 'End' ? rows.length - 1 - i : 0;
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                openClass(c.class);
              } else if (move !== 0) {
                e.preventDefault();
                const next = rows[Math.max(0, Math.min(rows.length - 1, i + move))];
                if (next) select(next.class, true);
              }
            },
          },
          h('td', { class: 'atlas-class' }, h('span', { class: 'muted small' }, `${c.index} `), c.class),
          h('td', {}, h('span', { class: `atlas-status ${c.status}` }, c.status), c.error ? h('div', { class: 'muted small atlas-error' }, c.error) : null),
          h('td', { class: 'num' }, fmtInt(c.images)),
          h('td', { class: 'num' }, pct(c.accuracy)),
          h(
            'td',
            {
              class: 'num',
              title: `${c.errors} images of ${c.class} predicted as another class; ${c.falsePositives} of other classes predicted as ${c.class}`,
            },
            fmtInt(c.errors),
          ),
          hasLabelErrors ? h('td', { class: 'num' }, c.suspectedLabelErrors === undefined ? '–' : fmtInt(c.suspectedLabelErrors)) : null,
          hasShortcuts ? h('td', { class: 'num' }, c.shortcuts === undefined ? '–' : fmtInt(c.shortcuts)) : null,
          h('td', { class: 'atlas-shared' }, sharedCell),
        );
        rowsById.set(c.class, tr);
        return tr;
      }),
    );
    if (rows.length === 0) tbody.append(h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, `No class matches "${state.filter}"`)));
    count.textContent = `${rows.length} of ${m.classes.length} classes`;
    const keep = state.selected && rowsById.has(state.selected) ? state.selected : rows[0]?.class;
    if (keep) select(keep, false);
    return rows.map((c) => c.class);
  };

  filterInput.addEventListener('input', () => {
    state.filter = filterInput.value;
    fill();
  });
  filterInput.addEventListener('keydown', (e) => {
    // Down from the filter box goes to the first class.
    if (e.key === 'ArrowDown' || e.key === 'Enter') {
      const first = tbody.querySelector<HTMLElement>('tr.atlas-row');
      if (first) {
        e.preventDefault();
        select(first.dataset.class ?? '', true);
      }
    }
  });

  const sharedStatus = m.sharedPending
    ? h(
        'p',
        { class: 'muted atlas-shared-status', role: 'status' },
        h('vscode-progress-ring', { class: 'inline', 'aria-label': 'Reading' }),
        ` Reading the ${done} finished results for groups shared across classes…`,
      )
    : h(
        'p',
        { class: 'muted atlas-shared-status', role: 'status' },
        `${m.shared?.length ?? 0} groups shared across classes (same layer, at least ${Math.round(100 * (m.sharedThreshold ?? 0.5))}% of the member neurons in common, Jaccard).`,
        m.sharedErrors?.length ? h('span', { class: 'warning-text' }, ` ${m.sharedErrors.length} results not read: ${m.sharedErrors.join('; ')}`) : null,
      );

  const sharedTable =
    m.shared && m.shared.length > 0
      ? h(
          'section',
          { class: 'atlas-shared-section' },
          h('h3', {}, 'Groups shared across classes'),
          h(
            'table',
            { class: 'atlas-shared-table', 'aria-label': 'Groups shared across classes' },
            h(
              'thead',
              {},
              h('tr', {}, h('th', {}, 'Class'), h('th', {}, 'Layer'), h('th', {}, 'Group'), h('th', { class: 'num' }, 'Neurons'), h('th', {}, 'Shared with')),
            ),
            h(
              'tbody',
              {},
              ...m.shared.map((s) =>
                h(
                  'tr',
                  { 'data-class': s.class },
                  h(
                    'td',
                    {},
                    h(
                      'button',
                      {
                        class: 'atlas-link',
                        type: 'button',
                        title: `Open ${s.class} at ${groupName(s.layer, s.group)}`,
                        onclick: () => openClass(s.class, s.layer, s.group),
                      },
                      s.class,
                    ),
                  ),
                  h('td', {}, s.layer),
                  h('td', {}, `G${s.group}`, s.label ? h('span', { class: 'muted' }, ` ${s.label}`) : null),
                  h('td', { class: 'num' }, String(s.neurons)),
                  h(
                    'td',
                    {},
                    ...s.with.flatMap((w, i) => [
                      i > 0 ? ', ' : '',
                      sharedLink(s, w),
                      h('span', { class: 'muted small' }, ` ${Math.round(100 * w.similarity)}%`),
                    ]),
                  ),
                ),
              ),
            ),
          ),
        )
      : null;

  root.replaceChildren(
    h('header', { class: 'title' }, h('h1', {}, `Atlas · ${model}`), h('span', { class: 'muted' }, `${done} of ${m.classes.length} classes analysed`)),
    h(
      'dl',
      { class: 'facts' },
      h('div', {}, h('dt', {}, 'Model'), h('dd', { title: m.model }, m.model)),
      h('div', {}, h('dt', {}, 'Folder'), h('dd', { title: m.file }, m.folder)),
      m.imageCount !== undefined ? h('div', {}, h('dt', {}, 'Images'), h('dd', {}, fmtInt(m.imageCount))) : null,
      m.accuracy !== undefined ? h('div', {}, h('dt', {}, 'Accuracy'), h('dd', {}, pct(m.accuracy))) : null,
    ),
    sharedStatus,
    h('div', { class: 'atlas-toolbar' }, filterInput, count),
    h('div', { class: 'atlas-table-wrap' }, table),
    sharedTable ?? '',
  );
  const items = fill();
  if (hadFocus === 'filter') filterInput.focus();
  else if (hadFocus && rowsById.has(hadFocus)) select(hadFocus, true);
  // Coming back from a class: its row has the focus.
  else if (m.selected && rowsById.has(m.selected)) rowsById.get(m.selected)?.focus();
  return items;
}

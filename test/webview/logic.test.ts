/**
 * The webview's pure parts in Node (no browser): the protocol's runtime checks, the layered layout, the
 * box geometry under resize + centre crop, and the group summaries and re-grouping session on a real result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regroupLayer } from '../../src/engine/analysis/regroup';
import { imageUri, isViewMessage, parseFromWebview, parseToWebview, type ToWebview } from '../../src/protocol/webview';
import { boxOnImage } from '../../webview/result/geometry';
import { layerGroups } from '../../webview/result/groups';
import { layeredLayout } from '../../webview/result/layout';
import { ResultSession } from '../../webview/result/session';
import { demoResult } from './demo-result';

test('protocol: result, explanation and mask messages are checked at the boundary', async () => {
  const { doc } = await demoResult();
  const ok = parseToWebview({ type: 'result', doc, imageBase: 'https://x/y', datasetRoot: '/data' });
  assert.equal(ok?.type, 'result');
  assert.equal(parseToWebview({ type: 'result', doc: { ...doc, format: 'other' } }), undefined);
  assert.equal(parseToWebview({ type: 'result', doc, tab: 'nope' }), undefined);
  assert.equal(parseToWebview({ type: 'result', doc, scan: { images: [] } }), undefined, 'a partial scan is refused');
  const ex = {
    type: 'explanation',
    requestId: 3,
    image: 'a/b.png',
    layer: 'l',
    groupCount: 2,
    threshold: 0.8,
    groups: [{ group: 1, score: 2, evidence: [[0, 0, 16, 16]], bestBox: [0, 0, 16, 16] }],
  };
  assert.equal(parseToWebview(ex)?.type, 'explanation');
  assert.equal(parseToWebview({ ...ex, groups: [{ group: 1, score: 2, evidence: [[0, 0, 16]], bestBox: [0, 0, 16, 16] }] }), undefined);
  const mask = {
    type: 'maskResult',
    requestId: 1,
    image: 'a.png',
    layer: 'l',
    group: 0,
    classIndex: 3,
    before: 0.9,
    after: 0.2,
    topBefore: [{ class: 3, name: 't', prob: 0.9 }],
    top: [{ class: 0, name: 'c', prob: 0.7 }],
  };
  assert.equal(parseToWebview(mask)?.type, 'maskResult');
  assert.equal(parseToWebview({ ...mask, before: 'x' }), undefined);
  assert.equal(parseToWebview({ type: 'activity', running: 'yes' }), undefined);
  assert.equal(parseToWebview({ type: 'notice', level: 'fatal', message: 'x' }), undefined);
  assert.ok(isViewMessage(ok as ToWebview) && !isViewMessage(parseToWebview(ex)!));
});

test('protocol: webview requests are checked at the boundary', () => {
  const mask = { type: 'maskGroup', requestId: 1, image: 'a.png', layer: 'l', group: 2, groupCount: 4, channels: [1, 5], classIndex: 3 };
  assert.deepEqual(parseFromWebview(mask), mask);
  assert.equal(parseFromWebview({ ...mask, channels: [1.5] }), undefined);
  assert.equal(parseFromWebview({ type: 'explainImage', requestId: 1, image: 'a.png', layer: 'l' }), undefined, 'groupCount is required');
  assert.equal(parseFromWebview({ type: 'setGroupCount', layer: 'l', count: 0 })?.type, undefined);
  assert.equal(parseFromWebview({ type: 'setGroupCount', layer: 'l', count: null })?.type, 'setGroupCount');
  assert.equal(parseFromWebview({ type: 'openFile', path: '/a.py', line: 0 }), undefined);
  assert.equal(parseFromWebview({ type: 'rendered', view: 'circuit', items: ['fc/G0'] })?.type, 'rendered');
  assert.equal(parseFromWebview({ type: 'rendered', view: 'nope', items: [] }), undefined);
  assert.equal(imageUri({ imageBase: 'https://h/root' }, 'my class/a#1.png'), 'https://h/root/my%20class/a%231.png');
  assert.equal(imageUri({}, 'a.png'), undefined);
});

test('layout: rows by layer, order by barycentre removes avoidable crossings, deterministic', () => {
  // Upper row a b c, lower row x y z wired a-z, b-y, c-x: the lower row should be reversed.
  const rows = [
    ['a', 'b', 'c'],
    ['x', 'y', 'z'],
  ];
  const edges = [
    { source: 'a', target: 'z', weight: 1 },
    { source: 'b', target: 'y', weight: 1 },
    { source: 'c', target: 'x', weight: -1 },
  ];
  const l = layeredLayout(rows, edges);
  assert.equal(l.crossings, 0);
  const x = (id: string) => l.positions.get(id)!.x;
  assert.ok(x('z') < x('y') && x('y') < x('x'));
  assert.ok(l.positions.get('a')!.y < l.positions.get('x')!.y, 'the top layer is drawn above');
  assert.deepEqual(layeredLayout(rows, edges), l);
  // A wide row wraps onto lines of at most maxPerLine.
  const wide = layeredLayout([Array.from({ length: 40 }, (_, i) => `n${i}`)], [], { maxPerLine: 16 });
  assert.equal(new Set([...wide.positions.values()].map((p) => p.y)).size, 3);
});

test('geometry: boxes map back through resize and centre crop', () => {
  // 256x256 input cropped from a 400x300 image resized to short side 256 (341x256), centre crop 256.
  const pre = { size: [256, 256], resize: 256, centerCrop: [256, 256] };
  const f = boxOnImage([0, 0, 256, 256], pre, [256, 256], 400, 300);
  // torchvision: new size 341x256, crop offset round((341-256)/2) = 42 -> x from 42/341 to 298/341 of the image.
  assert.ok(Math.abs(f.left - 42 / 341) < 1e-9 && Math.abs(f.width - 256 / 341) < 1e-9 && f.top === 0 && f.height === 1);
  const g = boxOnImage([16, 16, 32, 32], { size: [64, 64], resize: null, centerCrop: null }, [64, 64], 64, 64);
  assert.deepEqual(g, { left: 0.25, top: 0.25, width: 0.25, height: 0.25 });
});

test('groups and session on the real demo result: members, crops, re-grouping as the engine does', async () => {
  const { doc } = await demoResult();
  for (const layer of doc.layers.filter((l) => l.grouping)) {
    const groups = layerGroups(doc, layer);
    assert.equal(groups.length, layer.grouping!.count);
    // Every pair is in exactly one group.
    const pairs = groups.flatMap((g) => g.members.map((m) => m.pair)).sort((a, b) => a - b);
    assert.deepEqual(
      pairs,
      layer.grouping!.pairs.map((_, i) => i),
    );
    for (const g of groups) for (const c of g.crops) assert.ok(c >= 0 && c < doc.crops.table.length);
  }
  const layer = doc.layers.find((l) => l.grouping && l.grouping.pairs.length > 6)!;
  const s = new ResultSession({ type: 'result', doc });
  assert.ok(s.setCount(layer.name, 5));
  assert.equal(s.groupCount(layer.name), 5);
  const expected = regroupLayer(layer, 5, doc.params.representatives);
  assert.deepEqual(
    s.layer(layer.name)!.grouping!.groups.map((g) => g.members),
    expected.groups.map((g) => g.members),
  );
  // The circuit follows: every edge touching the layer names one of its 5 groups.
  for (const c of s.doc.circuit) {
    if (c.upper === layer.name) assert.ok(c.edges.every((e) => e.from < 5));
    if (c.lower === layer.name) assert.ok(c.edges.every((e) => e.to < 5));
  }
  assert.ok(s.setCount(layer.name, null));
  assert.deepEqual(s.doc.circuit, doc.circuit, 'back to the stored circuit');
});

/** The data-derived label (no language model) on a real result: classes of the source images, crop sizes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { dataLabel, dominantClasses, groupEvidence, imageClasses, sizePhrase } from '../../../src/engine/labels/fallback';
import { allGroups, findGroup } from '../../../src/engine/labels/group-crops';
import type { ResultDocument } from '../../../src/engine/result/schema';
import { DEMO_IMAGES, realResult } from './real-result';
import type { GroupRef } from '../../../src/engine/labels/group-crops';

/** Recounted here from the document alone: distinct source images per class folder, crops per side. */
function recount(doc: ResultDocument, ref: GroupRef) {
  const { layer, grouping, index } = findGroup(doc, ref);
  const crops = new Set<number>();
  for (const p of grouping.groups[index].members) {
    const [ch, s] = grouping.pairs[p];
    layer.neurons.find((n) => n.channel === ch)!.subconcepts[s].crops.forEach((c) => crops.add(c));
  }
  const images = new Set([...crops].map((c) => doc.crops.table[c][0]));
  const perClass = new Map<string, number>();
  for (const i of images) {
    const cls = doc.class.images[i].split('/')[0];
    perClass.set(cls, (perClass.get(cls) ?? 0) + 1);
  }
  const perSide = new Map<number, { n: number; g: number }>();
  for (const c of crops) {
    const r = doc.crops.table[c];
    const e = perSide.get(r[4] - r[2]) ?? { n: 0, g: r[1] };
    e.n++;
    perSide.set(r[4] - r[2], e);
  }
  return { crops: crops.size, images: images.size, perClass, perSide };
}

test('data labels on every group: named classes dominate the source images, the size phrase follows the crops', () => {
  const doc = realResult();
  const phrases = new Set<string>();
  for (const ref of allGroups(doc)) {
    const label = dataLabel(doc, ref, 'No language model available: test');
    assert.equal(label.source, 'data');
    assert.equal(label.reason, 'No language model available: test');
    assert.equal(label.confidence, undefined);
    const r = recount(doc, ref);
    const ranked = [...r.perClass].sort((a, b) => b[1] - a[1]);
    assert.ok(label.text.includes(ranked[0][0]), `${label.text} names the most frequent class ${ranked[0][0]}`);
    for (const [name, n] of ranked.slice(1)) {
      if (label.text.includes(`${name} `) || label.text.includes(`${name},`)) assert.ok(n / r.images >= 0.2, `${name} named with ${n}/${r.images}`);
    }
    const sides = [...r.perSide].sort((a, b) => b[1].n - a[1].n);
    const [side, top] = sides[0];
    if (top.n / r.crops >= 0.6) {
      if (top.g >= 1) assert.match(label.text, /^whole /);
      else assert.ok(label.text.startsWith(`${top.g >= 0.5 ? 'large' : 'small'} parts (${side} px) of `), label.text);
    } else {
      assert.match(label.text, /^mixed crops \(\d+-\d+ px\) of /);
    }
    assert.ok(label.detail!.startsWith(`From ${r.crops} crops of ${r.images} images predicted as ${doc.class.name}: `), label.detail);
    for (const [name, n] of ranked) assert.ok(label.detail!.includes(`${name} ${Math.round((n / r.images) * 100)}%`), `${name} share in ${label.detail}`);
    phrases.add(label.text.split(' ')[0]);
  }
  // The demo's analysis has both whole-image groups and groups of small parts.
  assert.ok(phrases.has('whole') && phrases.has('small'), [...phrases].join(', '));
});

test('classes from a scan for any layout; without a scan or folders the label says which images it comes from', () => {
  const doc = realResult();
  const classes = readdirSync(DEMO_IMAGES).sort();
  const scan = {
    classes,
    images: classes.flatMap((c, label) => readdirSync(path.join(DEMO_IMAGES, c)).map((f) => ({ path: `${c}/${f}`, label }))),
  };
  const ref = allGroups(doc)[1];
  const folder = dataLabel(doc, ref, 'r');
  const csv: ResultDocument = { ...doc, dataset: { ...doc.dataset, layout: 'csv' } };
  assert.deepEqual(dataLabel(csv, ref, 'r', imageClasses(csv, scan)), folder);
  const unknown = dataLabel(csv, ref, 'r');
  assert.match(unknown.text, new RegExp(`images predicted as ${doc.class.name}$`));
  assert.match(unknown.detail!, /dataset classes are unknown/);
  const ev = groupEvidence(csv, ref, imageClasses(csv));
  assert.equal(ev.known, 0);
  assert.ok(ev.images > 0);
});

test('dominant classes: top one, then >= 20% shares until 80% is covered, at most three', () => {
  const c = (name: string, share: number) => ({ name, images: Math.round(share * 100), share, base: 0.25 });
  assert.deepEqual(
    dominantClasses([c('a', 0.85), c('b', 0.15)]).map((x) => x.name),
    ['a'],
  );
  assert.deepEqual(
    dominantClasses([c('a', 0.5), c('b', 0.3), c('c', 0.2)]).map((x) => x.name),
    ['a', 'b'],
  );
  assert.deepEqual(
    dominantClasses([c('a', 0.4), c('b', 0.2), c('c', 0.15), c('d', 0.15)]).map((x) => x.name),
    ['a', 'b'],
  );
  assert.deepEqual(
    dominantClasses([c('a', 0.25), c('b', 0.25), c('c', 0.25), c('d', 0.25)]).map((x) => x.name),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(dominantClasses([]), []);
});

test('size phrase: whole, large or small parts at >= 60%, else mixed with the range', () => {
  const s = (granularity: number, side: number, share: number) => ({ granularity, side, crops: share * 10, share });
  assert.deepEqual(sizePhrase([s(1, 64, 0.7), s(0.25, 16, 0.3)]), { phrase: 'whole', whole: true });
  assert.equal(sizePhrase([s(0.5, 112, 0.6), s(1, 224, 0.4)]).phrase, 'large parts (112 px)');
  assert.equal(sizePhrase([s(0.25, 16, 0.9)]).phrase, 'small parts (16 px)');
  assert.equal(sizePhrase([s(0.25, 16, 0.5), s(1, 64, 0.3), s(0.5, 32, 0.2)]).phrase, 'mixed crops (16-64 px)');
});

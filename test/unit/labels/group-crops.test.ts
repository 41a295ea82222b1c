/** Which crops stand for a group, and which lower units feed it, on a real result of the demo analysis. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../src/engine/errors';
import { allGroups, feedingUnits, findGroup, groupCrops, withThumbnails } from '../../../src/engine/labels/group-crops';
import { realResult } from './real-result';

test('every group of every grouped layer is listed, top layer first', () => {
  const doc = realResult();
  const refs = allGroups(doc);
  const expected = doc.layers.reduce((s, l) => s + (l.grouping?.groups.length ?? 0), 0);
  assert.equal(refs.length, expected);
  assert.ok(expected >= 4);
  assert.equal(refs[0].layer, doc.layers[0].name);
});

test("ranked crops: the representative pairs' sub-concept representatives first, round robin; all = members' crops", () => {
  const doc = realResult();
  for (const ref of allGroups(doc)) {
    const { layer, grouping, index } = findGroup(doc, ref);
    const g = grouping.groups[index];
    const sc = (p: number) => layer.neurons.find((n) => n.channel === grouping.pairs[p][0])!.subconcepts[grouping.pairs[p][1]];
    const { ranked, all } = groupCrops(doc, ref);
    assert.equal(new Set(ranked).size, ranked.length, 'no duplicates');
    const allSet = new Set(all);
    for (const c of ranked) assert.ok(allSet.has(c), `ranked crop ${c} is a member crop`);
    const memberCrops = new Set(g.members.flatMap((p) => sc(p).crops));
    assert.deepEqual(
      [...allSet].sort((a, b) => a - b),
      [...memberCrops].sort((a, b) => a - b),
    );
    // The first crop is the nearest representative of the pair nearest the centre; the second (if distinct) is
    // the nearest representative of the second representative pair.
    assert.equal(ranked[0], sc(g.representatives[0]).representatives[0]);
    if (g.representatives.length > 1 && sc(g.representatives[1]).representatives[0] !== ranked[0]) {
      assert.equal(ranked[1], sc(g.representatives[1]).representatives[0]);
    }
    const repCrops = new Set(g.representatives.flatMap((p) => sc(p).representatives));
    const firstOther = ranked.findIndex((c) => !repCrops.has(c));
    if (firstOther >= 0)
      assert.ok(
        ranked.slice(firstOther).every((c) => !repCrops.has(c)),
        "representative pairs' crops come first",
      );
  }
});

test("feeding units: the circuit's positive edges from the group, strongest first, crops with thumbnails", () => {
  const doc = realResult();
  let checked = 0;
  for (const ref of allGroups(doc)) {
    const li = doc.layers.findIndex((l) => l.name === ref.layer);
    const lower = doc.layers[li + 1];
    const circuit = doc.circuit.find((c) => c.upper === ref.layer);
    const units = feedingUnits(doc, ref, 10, 3);
    if (!circuit || !lower?.grouping) continue;
    const edges = circuit.edges.filter((e) => e.from === ref.group);
    const positive = edges.filter((e) => e.weight > 0).sort((a, b) => b.weight - a.weight);
    const shown = positive.filter((e) => withThumbnails(doc, groupCrops(doc, { layer: lower.name, group: e.to }).ranked).length > 0);
    assert.deepEqual(
      units.map((u) => u.index),
      shown.map((e) => e.to).slice(0, 10),
    );
    const total = edges.reduce((s, e) => s + Math.abs(e.weight), 0);
    for (const u of units) {
      assert.equal(u.layer, lower.name);
      assert.ok(Math.abs(u.share - u.weight / total) < 1e-12);
      assert.ok(u.crops.length >= 1 && u.crops.length <= 3);
      assert.deepEqual(u.crops, withThumbnails(doc, groupCrops(doc, { layer: lower.name, group: u.index }).ranked).slice(0, 3));
    }
    checked++;
  }
  assert.ok(checked >= 3, `groups with a grouped layer below: ${checked}`);
  assert.deepEqual(feedingUnits(doc, allGroups(doc)[0], 0), []);
});

test('the lowest grouped layer has no feeding groups (the layer below it has none)', () => {
  const doc = realResult();
  const lowestGrouped = [...doc.layers].reverse().find((l) => l.grouping)!;
  const below = doc.layers[doc.layers.indexOf(lowestGrouped) + 1];
  assert.ok(below && !below.grouping);
  for (let g = 0; g < lowestGrouped.grouping!.groups.length; g++) assert.deepEqual(feedingUnits(doc, { layer: lowestGrouped.name, group: g }), []);
});

test('unknown layers and groups are UsageErrors that name them', () => {
  const doc = realResult();
  const lowest = doc.layers[doc.layers.length - 1].name;
  assert.throws(
    () => findGroup(doc, { layer: 'layer9.9', group: 0 }),
    (e: Error) => e instanceof UsageError && /layer9\.9 is not in this result/.test(e.message),
  );
  assert.throws(() => findGroup(doc, { layer: doc.layers[0].name, group: 99 }), /has no group 99/);
  assert.throws(() => findGroup(doc, { layer: lowest, group: 0 }), new RegExp(`${lowest.replace('.', '\\.')} has no groups`));
});

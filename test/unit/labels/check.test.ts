/** The label check's shuffled mix (on a real result) and its scoring. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCheck, hashSeed, scoreCheck, shuffled } from '../../../src/engine/labels/check';
import { seededRandom } from '../../../src/engine/util/random';
import { allGroups, groupCrops, withThumbnails } from '../../../src/engine/labels/group-crops';
import { realResult } from './real-result';

test("the mix: 4 of the group's crops and 4 crops of no member sub-concept, all with thumbnails, same-layer groups first", () => {
  const doc = realResult();
  let built = 0;
  for (const ref of allGroups(doc)) {
    const items = buildCheck(doc, ref);
    const own = groupCrops(doc, ref);
    if (!items) {
      // Only when the group (or everything else) has fewer than two crops with thumbnails.
      assert.ok(withThumbnails(doc, own.ranked).length < 2, `${ref.layer}/G${ref.group} got no check`);
      continue;
    }
    built++;
    const mine = items.filter((i) => i.fromGroup).map((i) => i.crop);
    const others = items.filter((i) => !i.fromGroup).map((i) => i.crop);
    assert.equal(mine.length, Math.min(4, withThumbnails(doc, own.ranked).length));
    assert.equal(others.length, 4);
    const ownAll = new Set([...own.all, ...own.ranked]);
    for (const c of mine) assert.ok(own.ranked.includes(c));
    for (const c of others) assert.ok(!ownAll.has(c), `other crop ${c} is not the group's`);
    for (const i of items) assert.ok(doc.crops.thumbnails[String(i.crop)]);
    assert.equal(new Set(items.map((i) => i.crop)).size, items.length);
    // Other crops of the same layer's groups come first when that layer has enough of them.
    const sameLayer = new Set(
      allGroups(doc)
        .filter((g) => g.layer === ref.layer && g.group !== ref.group)
        .flatMap((g) => withThumbnails(doc, groupCrops(doc, g).ranked))
        .filter((c) => !ownAll.has(c)),
    );
    if (sameLayer.size >= 4) for (const c of others) assert.ok(sameLayer.has(c), `crop ${c} from the same layer`);
  }
  assert.ok(built >= allGroups(doc).length - 1, `checks built: ${built}`);
});

test("the mix prefers the group's crops the labelling request did not show", () => {
  const doc = realResult();
  const ref = allGroups(doc).find((r) => withThumbnails(doc, groupCrops(doc, r).ranked).length >= 10)!;
  const ranked = withThumbnails(doc, groupCrops(doc, ref).ranked);
  const shown = ranked.slice(0, 6);
  const mine = buildCheck(doc, ref, { shown })!
    .filter((i) => i.fromGroup)
    .map((i) => i.crop);
  assert.deepEqual(
    [...mine].sort((a, b) => a - b),
    ranked.slice(6, 10).sort((a, b) => a - b),
  );
});

test('the shuffle is seeded: same seed, same order; another group or seed, another order', () => {
  const doc = realResult();
  const ref = allGroups(doc)[2];
  const a = buildCheck(doc, ref)!;
  assert.deepEqual(buildCheck(doc, ref), a);
  const orders = new Set([1, 2, 3, 4, 5].map((seed) => JSON.stringify(buildCheck(doc, ref, { seed })!.map((i) => i.crop))));
  assert.ok(orders.size >= 4, `distinct orders: ${orders.size}`);
  assert.ok(a.slice(0, 4).some((i) => !i.fromGroup) || a.slice(4).some((i) => i.fromGroup), 'mixed, not group crops then others');
  assert.notEqual(hashSeed('x|layer3.1|0'), hashSeed('x|layer3.1|1'));
});

test('shuffled is a permutation with every position reachable', () => {
  const random = seededRandom(7);
  const firsts = new Set<number>();
  for (let k = 0; k < 200; k++) {
    const s = shuffled([0, 1, 2, 3, 4], random);
    assert.deepEqual([...s].sort(), [0, 1, 2, 3, 4]);
    firsts.add(s[0]);
  }
  assert.equal(firsts.size, 5);
});

test('scoring: share of crops classified right; hits and false alarms', () => {
  const items = [true, false, true, false, false, true].map((fromGroup, crop) => ({ crop, fromGroup }));
  const truth = items.flatMap((it, i) => (it.fromGroup ? [i] : []));
  assert.deepEqual(scoreCheck(items, truth), { correct: 6, total: 6, confidence: 1, hits: 3, falseAlarms: 0 });
  const wrong = items.flatMap((it, i) => (it.fromGroup ? [] : [i]));
  assert.deepEqual(scoreCheck(items, wrong), { correct: 0, total: 6, confidence: 0, hits: 0, falseAlarms: 3 });
  const all = scoreCheck(items, [0, 1, 2, 3, 4, 5]);
  assert.equal(all.correct, 3);
  assert.equal(all.confidence, 0.5);
  const some = scoreCheck(items, [0, 1]);
  assert.deepEqual(some, { correct: 3, total: 6, confidence: 0.5, hits: 1, falseAlarms: 1 });
  assert.equal(scoreCheck(items, []).confidence, 0.5);
});

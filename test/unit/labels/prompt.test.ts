/** The labelling and check requests built from a real result: text, images (the result's thumbnails), order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../../src/engine/errors';
import { decodeDataUri } from '../../../src/engine/labels/data-uri';
import { allGroups, feedingUnits, groupCrops, withThumbnails } from '../../../src/engine/labels/group-crops';
import { buildCheckPrompt, buildLabelPrompt, cropCaption, type PromptPart } from '../../../src/engine/labels/prompt';
import { realResult } from './real-result';

const texts = (parts: PromptPart[]) => parts.filter((p) => p.kind === 'text').map((p) => (p as { text: string }).text);
const images = (parts: PromptPart[]) => parts.filter((p): p is Extract<PromptPart, { kind: 'image' }> => p.kind === 'image');
const isWebp = (b: Uint8Array) => Buffer.from(b.subarray(0, 4)).toString() === 'RIFF' && Buffer.from(b.subarray(8, 12)).toString() === 'WEBP';

test("label prompt: the group's representative crops, then each feeding lower group's crops, as decoded images", () => {
  const doc = realResult();
  let withFeeding = 0;
  for (const ref of allGroups(doc)) {
    const prompt = buildLabelPrompt(doc, ref);
    const expectedCrops = withThumbnails(doc, groupCrops(doc, ref).ranked).slice(0, 6);
    assert.deepEqual(prompt.crops, expectedCrops);
    const feeding = feedingUnits(doc, ref);
    assert.deepEqual(prompt.feeding, feeding);
    const imgs = images(prompt.parts);
    assert.deepEqual(
      imgs.map((p) => p.crop),
      [...expectedCrops, ...feeding.flatMap((u) => u.crops)],
    );
    for (const p of imgs) {
      const thumb = decodeDataUri(doc.crops.thumbnails[String(p.crop)], 'test');
      assert.equal(p.mime, 'image/webp');
      assert.ok(isWebp(p.data), `crop ${p.crop} is a WebP image`);
      assert.deepEqual(p.data, thumb.data);
    }
    const all = texts(prompt.parts).join('\n');
    assert.match(all, new RegExp(`Group G${ref.group} of layer ${ref.layer.replace('.', '\\.')}`));
    assert.match(all, new RegExp(`class "${doc.class.name}"`));
    for (const name of doc.model.labels) assert.ok(all.includes(name), `class list names ${name}`);
    assert.match(all, /Reply with JSON only: \{"label"/);
    // Each image is preceded by its caption: "Crop k (<size>)" for the group's crops.
    expectedCrops.forEach((c, k) => {
      const at = prompt.parts.findIndex((p) => p.kind === 'image' && p.crop === c);
      const caption = prompt.parts[at - 1];
      assert.equal(caption.kind === 'text' ? caption.text : '', `Crop ${k + 1} (${cropCaption(doc, c)}):`);
    });
    if (feeding.length > 0) {
      withFeeding++;
      assert.match(all, /how the lower groups' parts combine/);
      feeding.forEach((u, k) =>
        assert.ok(all.includes(`Lower group ${String.fromCharCode(65 + k)} (group G${u.index} of layer ${u.layer}, ${Math.round(u.share * 100)}%`)),
      );
    } else {
      assert.doesNotMatch(all, /lower groups/);
    }
  }
  assert.ok(withFeeding > 0);
});

test('crop captions follow the crop table: whole images and N px parts', () => {
  const doc = realResult();
  const sizes = new Set<string>();
  doc.crops.table.forEach((row, id) => {
    const caption = cropCaption(doc, id);
    assert.equal(caption, row[1] >= 1 ? 'whole image' : `${row[4] - row[2]} px part`);
    sizes.add(caption);
  });
  assert.ok(sizes.has('whole image') && sizes.size >= 2, [...sizes].join(', '));
});

test('label prompt options: fewer crops and no feeding groups', () => {
  const doc = realResult();
  const ref = allGroups(doc).find((r) => feedingUnits(doc, r).length > 0)!;
  const prompt = buildLabelPrompt(doc, ref, { crops: 2, feeding: 0, maxWords: 3 });
  assert.equal(prompt.crops.length, 2);
  assert.equal(images(prompt.parts).length, 2);
  assert.match(texts(prompt.parts).join('\n'), /at most 3 words/);
});

test('a group without any thumbnail cannot be shown to a model: DataError naming the group', () => {
  const doc = realResult();
  const ref = allGroups(doc)[0];
  for (const c of groupCrops(doc, ref).ranked) delete doc.crops.thumbnails[String(c)];
  assert.throws(
    () => buildLabelPrompt(doc, ref),
    (e: Error) => e instanceof DataError && e.message.includes(`group G${ref.group} of layer ${ref.layer}`),
  );
});

test('check prompt: the label, then the crops numbered from 1 in the given order, then the JSON question', () => {
  const doc = realResult();
  const crops = withThumbnails(doc, groupCrops(doc, allGroups(doc)[1]).ranked).slice(0, 3);
  const items = crops.map((crop, k) => ({ crop, fromGroup: k % 2 === 0 }));
  const parts = buildCheckPrompt(doc, 'magenta checker', items);
  assert.deepEqual(
    images(parts).map((p) => p.crop),
    crops,
  );
  const t = texts(parts);
  assert.match(t[0], /labelled "magenta checker"/);
  assert.match(t[0], /3 numbered image crops/);
  crops.forEach((c, k) => assert.ok(t.includes(`Crop ${k + 1} (${cropCaption(doc, c)}):`)));
  assert.match(t[t.length - 1], /\{"matches": \[<crop numbers>\]\}/);
  assert.ok(!t.join('').includes('fromGroup') && !t.join('').includes('true'), "the prompt does not leak which crops are the group's");
});

test('data URIs: decoded bytes and MIME type; anything else is a DataError naming the image', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
  assert.deepEqual(decodeDataUri(`data:image/PNG;base64,${png.toString('base64')}`, 'x'), { mime: 'image/png', data: new Uint8Array(png) });
  assert.throws(() => decodeDataUri('https://example.org/a.png', 'crop 7'), /crop 7: not a base64 data URI/);
  assert.throws(() => decodeDataUri('data:image/png;base64,', 'crop 8'), /crop 8: empty image data/);
});

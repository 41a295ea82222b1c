/** Reading the language model's replies: labels (JSON, fenced, prose, field lines) and the check's crop lists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../../src/engine/errors';
import { cleanLabel, parseCheckResponse, parseLabelResponse } from '../../../src/engine/labels/parse';

test('label: plain JSON, JSON in a code fence, JSON inside prose', () => {
  assert.deepEqual(parseLabelResponse('{"label": "checkerboard marker", "description": "Magenta and green squares."}'), {
    label: 'checkerboard marker',
    description: 'Magenta and green squares.',
  });
  assert.deepEqual(parseLabelResponse('```json\n{\n  "label": "Triangle apex",\n  "description": "A sharp corner"\n}\n```'), {
    label: 'Triangle apex',
    description: 'A sharp corner',
  });
  assert.deepEqual(parseLabelResponse('Sure! Here is my answer: {"label": "diagonal {edge}", "description": "an \\"edge\\""} Hope this helps.'), {
    label: 'diagonal {edge}',
    description: 'an "edge"',
  });
});

test('label: a broken first object is skipped for a later valid one', () => {
  assert.equal(parseLabelResponse('{label: oops} then {"label": "star points"}').label, 'star points');
});

test('label: "Label:" / "Description:" lines, markdown emphasis, and a one-line reply', () => {
  assert.deepEqual(parseLabelResponse('**Label:** "Green-magenta checker"\n**Description:** Two-colour tiles in a corner.'), {
    label: 'Green-magenta checker',
    description: 'Two-colour tiles in a corner.',
  });
  assert.deepEqual(parseLabelResponse('  Curved outline.  '), { label: 'Curved outline' });
});

test('label: empty or rambling replies are DataErrors naming the reply', () => {
  assert.throws(() => parseLabelResponse(''), DataError);
  assert.throws(() => parseLabelResponse('{"label": "  "}'), /no label found/);
  assert.throws(() => parseLabelResponse('I think\nthese crops\nshow many\nthings at once'), /no label found in "I think/);
});

test('cleanLabel trims quotes, emphasis, full stops and cuts long labels at a word', () => {
  assert.equal(cleanLabel('  "*Round  blob*."  '), 'Round blob');
  const long = 'a very long label that goes on and on well past the sixty character limit of a label';
  const cut = cleanLabel(long);
  assert.ok(cut.length <= 61, cut);
  assert.ok(cut.endsWith('…'));
  assert.ok(long.startsWith(cut.slice(0, -1)));
});

test('check: JSON object, bare array, prose numbers; 1-based to 0-based, range-checked, sorted, unique', () => {
  assert.deepEqual(parseCheckResponse('{"matches": [3, 1, 3]}', 8), [0, 2]);
  assert.deepEqual(parseCheckResponse('```\n{"matches": ["2", 9, 0, 1.5]}\n```', 8), [1]);
  assert.deepEqual(parseCheckResponse('The matching crops are [4, 8].', 8), [3, 7]);
  assert.deepEqual(parseCheckResponse('Crops 5, 6 and 2 match.', 6), [1, 4, 5]);
  assert.deepEqual(parseCheckResponse('{"matches": []}', 8), []);
  assert.deepEqual(parseCheckResponse('None of them.', 8), []);
});

test('check: a reply without numbers or "none" is a DataError', () => {
  assert.throws(() => parseCheckResponse('I cannot tell.', 8), /label check: no crop numbers found/);
});

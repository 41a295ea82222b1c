import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RESULT_SCHEMA_FILE, resultJsonSchemaText } from '../../../scripts/make-schemas.mjs';
import { validateResult, type ResultDocument } from '../../../src/engine/result/schema';
import { demoResult } from '../../helpers/demo-result';
import { jsonSchemaError } from '../../helpers/json-schema';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const published = JSON.parse(readFileSync(RESULT_SCHEMA_FILE, 'utf8'));

test('schemas/neurflow-result.schema.json is what scripts/make-schemas.mjs generates from the valibot schema', () => {
  assert.equal(readFileSync(RESULT_SCHEMA_FILE, 'utf8'), resultJsonSchemaText(), 'out of date: run npm run gen:schemas');
});

test('package.json registers the schema for *.neurflow-result.json and the .vsix carries it', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const entry = pkg.contributes.jsonValidation?.find((j: { fileMatch: string | string[] }) => [j.fileMatch].flat().includes('*.neurflow-result.json'));
  assert.ok(entry, 'contributes.jsonValidation has no entry for *.neurflow-result.json');
  assert.equal(path.resolve(ROOT, entry.url), RESULT_SCHEMA_FILE);
  const ignored = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  assert.ok(!ignored.some((l) => /^(schemas|\*\*\/\*\.json|\*\*\/\*\.schema\.json)/.test(l)), '.vscodeignore leaves schemas/ out');
});

/** Broken copies of a document: each must be refused by both the valibot schema and the JSON Schema. */
const BREAKAGES: [string, (d: ResultDocument) => void][] = [
  [
    'another format',
    (d) => {
      (d as { format: string }).format = 'other';
    },
  ],
  [
    'version 0',
    (d) => {
      d.version = 0;
    },
  ],
  [
    'no model.sha256',
    (d) => {
      delete (d.model as Partial<ResultDocument['model']>).sha256;
    },
  ],
  [
    'a layer without tensor',
    (d) => {
      delete (d.layers[0] as Partial<ResultDocument['layers'][0]>).tensor;
    },
  ],
  [
    'a fractional channel',
    (d) => {
      d.layers[1].neurons[0].channel = 1.5;
    },
  ],
  [
    'a crop row of five',
    (d) => {
      d.crops.table[0] = d.crops.table[0].slice(0, 5) as ResultDocument['crops']['table'][0];
    },
  ],
  [
    'a crop row of seven',
    (d) => {
      (d.crops.table[0] as number[]).push(1);
    },
  ],
  [
    'a label with an unknown source',
    (d) => {
      d.layers[0].grouping!.groups[0].label = { text: 'x', source: 'guess' as 'user' };
    },
  ],
  [
    'circuit not a list',
    (d) => {
      (d as { circuit: unknown }).circuit = {};
    },
  ],
  [
    'an edge without weight',
    (d) => {
      delete (d.circuit[0].edges[0] as { weight?: number }).weight;
    },
  ],
  [
    'a selection mode',
    (d) => {
      (d.class as { selection: string }).selection = 'all';
    },
  ],
  [
    'thumbnails as a list',
    (d) => {
      (d.crops as { thumbnails: unknown }).thumbnails = [];
    },
  ],
  [
    'a timing as text',
    (d) => {
      (d.timings as Record<string, unknown>).total = '3 s';
    },
  ],
];

test('the JSON Schema and the valibot schema agree on the demo result and on broken copies of it', async () => {
  const { doc } = await demoResult();
  const json = JSON.parse(JSON.stringify(doc));
  assert.equal(jsonSchemaError(published, json), undefined);
  validateResult(json, 'demo');
  assert.ok(doc.layers[0].grouping && doc.circuit.length > 0 && doc.crops.table.length > 0, 'the demo has groups, a circuit and crops');
  for (const [what, breakIt] of BREAKAGES) {
    const broken = structuredClone(json);
    breakIt(broken);
    assert.notEqual(jsonSchemaError(published, broken), undefined, `JSON Schema accepts ${what}`);
    assert.throws(() => validateResult(broken, 'demo'), /demo: not a NeurFlow result: field "/, `valibot accepts ${what}`);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RESULT_FORMAT, validateResult, type AnalysisParams, type ResultDocument } from '../../../src/engine/result/schema';
import { ResultStore, canonicalJson, readResult, resultKey, writeResult } from '../../../src/engine/result/store';

const PARAMS: AnalysisParams = {
  layers: ['fc', 'layer3.1'],
  classIndex: 3,
  selection: 'predicted',
  tau: 16,
  topCrops: 50,
  granularities: [1, 0.5, 0.25],
  strideRatio: 0.5,
  igSteps: 50,
  igMethod: 'gausslegendre',
  exact: true,
  subconceptRange: [2, 5],
  groupRange: [2, 100],
  groupCounts: {},
  normalisation: 'correct',
  representatives: 5,
  debugThreshold: 0.8,
  debugGranularities: [0.25, 0.5, 1],
  debugTopPairs: 3,
  seed: 0,
};

function sampleDoc(key: string, complete = true): ResultDocument {
  return {
    format: RESULT_FORMAT,
    version: 1,
    createdAt: new Date(0).toISOString(),
    complete,
    key,
    model: { path: 'm.onnx', sha256: 'ab', inputName: 'input', inputShape: ['batch', 3, 64, 64], labels: ['a', 'b'], preprocessing: {} },
    runtime: { provider: 'cpu', threads: 2, versions: {} },
    dataset: { root: '/d', layout: 'imagefolder', fingerprint: 'f', imageCount: 1 },
    class: { index: 3, name: 'triangle', selection: 'predicted', images: ['x.png'] },
    params: PARAMS,
    crops: { table: [[0, 1, 0, 0, 64, 64]], thumbnails: {} },
    layers: [
      {
        name: 'fc',
        tensor: 'logits',
        shape: [4],
        neurons: [{ channel: 3, parents: [], topCrops: [0], coreInputs: [1], coreInputsIg: [0.5], subconcepts: [] }],
      },
    ],
    circuit: [],
    timings: {},
  };
}

test('result key depends on model, dataset fingerprint and every parameter, not on key order', () => {
  const k = resultKey('sha', 'fp', PARAMS);
  assert.equal(k, resultKey('sha', 'fp', JSON.parse(canonicalJson(PARAMS))));
  assert.notEqual(k, resultKey('sha2', 'fp', PARAMS));
  assert.notEqual(k, resultKey('sha', 'fp2', PARAMS));
  assert.notEqual(k, resultKey('sha', 'fp', { ...PARAMS, tau: 8 }));
  assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}');
});

test('validator refuses other formats, newer versions and broken structure with the file named', () => {
  assert.equal(validateResult(JSON.parse(JSON.stringify(sampleDoc('k'))), 'r.json').key, 'k');
  assert.throws(() => validateResult({ ...sampleDoc('k'), version: 2 }, 'r.json'), /r\.json: result version 2 was written by a newer NeurFlow/);
  assert.throws(() => validateResult({ ...sampleDoc('k'), format: 'other' }, 'r.json'), /r\.json: not a NeurFlow result: field "format"/);
  assert.throws(
    () => validateResult({ ...sampleDoc('k'), layers: [{ name: 'fc' }] }, 'r.json'),
    /r\.json: not a NeurFlow result: field "layers\[0\]\.tensor" is missing/,
  );
  assert.throws(() => validateResult([], 'r.json'), /r\.json: not a NeurFlow result: not a JSON object/);
  assert.throws(() => validateResult({ ...sampleDoc('k'), version: 0 }, 'r.json'), /field "version" is not a positive integer/);
  assert.throws(() => validateResult({ ...sampleDoc('k'), circuit: {} }, 'r.json'), /field "circuit" is not a list \(got \{\}\)/);
  assert.throws(
    () =>
      validateResult(
        {
          ...sampleDoc('k'),
          circuit: [
            { upper: 'fc', lower: 'l3', edges: [] },
            { upper: 'fc', edges: [] },
          ],
        },
        'r.json',
      ),
    /field "circuit\[1\]\.lower" is missing/,
  );
  assert.throws(
    () => validateResult({ ...sampleDoc('k'), crops: { table: [[0, 1, 0, 0, 64]], thumbnails: {} } }, 'r.json'),
    /field "crops\.table\[0\]\[5\]" is missing/,
  );
  const doc = sampleDoc('k');
  const grouped = {
    ...doc.layers[0],
    grouping: {
      count: 1,
      auto: true,
      pairs: [[3, 0]],
      silhouette: [],
      groups: [{ members: [0], representatives: [0], label: { text: 'x', source: 'guess' } }],
    },
  };
  assert.throws(
    () => validateResult({ ...doc, layers: [grouped] }, 'r.json'),
    /field "layers\[0\]\.grouping\.groups\[0\]\.label\.source" is not a label source \(language-model, data, user\)/,
  );
  const neuron = { ...doc.layers[0].neurons[0], channel: -1 };
  assert.throws(
    () => validateResult({ ...doc, layers: [{ ...doc.layers[0], neurons: [neuron] }] }, 'r.json'),
    /field "layers\[0\]\.neurons\[0\]\.channel" is negative/,
  );
});

test('atomic write, read back, and the store reuses only complete results of the same key', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-result-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sub', 'r.neurflow-result.json');
  writeResult(file, sampleDoc('k1'));
  assert.deepEqual(readResult(file), JSON.parse(JSON.stringify(sampleDoc('k1'))));
  assert.deepEqual(readdirSync(path.dirname(file)), ['r.neurflow-result.json']);
  const store = new ResultStore(dir);
  assert.equal(store.load('k2'), undefined);
  store.save(sampleDoc('k2'));
  assert.equal(store.load('k2')?.key, 'k2');
  store.save(sampleDoc('k3', false));
  assert.equal(store.load('k3'), undefined, 'an incomplete result is not reused');
  writeFileSync(store.pathFor('k4'), '{ broken');
  assert.equal(store.load('k4'), undefined);
  assert.throws(() => readResult(store.pathFor('k4')), /not a NeurFlow result: invalid JSON/);
  assert.throws(() => readResult(path.join(dir, 'missing.json')), /cannot read the result \(ENOENT\)/);
});

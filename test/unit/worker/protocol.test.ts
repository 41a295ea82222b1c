import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError, WORKER_PARAMS, checkParams, parseHostMessage, parseWorkerMessage, toWireError } from '../../../src/protocol/worker';

test('host -> worker: requests of known methods with object params, and cancels; anything else is a ProtocolError', () => {
  const req = { kind: 'request', id: 3, method: 'ping', params: { delayMs: 5 } };
  assert.equal(parseHostMessage(req), req, 'the message itself, not a copy');
  assert.deepEqual(parseHostMessage({ kind: 'cancel', id: 3 }), { kind: 'cancel', id: 3 });
  for (const bad of [
    { ...req, method: 'format' },
    { ...req, id: -1 },
    { ...req, id: 1.5 },
    { ...req, params: [1] },
    { ...req, params: undefined },
    { kind: 'cancel' },
    { kind: 'stop', id: 1 },
    null,
    'ping',
  ]) {
    assert.throws(
      () => parseHostMessage(bad),
      (e: Error) => e instanceof ProtocolError && e.message.startsWith('worker: malformed message from the host: '),
      JSON.stringify(bad),
    );
  }
});

test('worker -> host: hello, progress, result and error; a malformed one names what came', () => {
  assert.equal(parseWorkerMessage({ kind: 'hello', pid: 42 }).kind, 'hello');
  assert.equal(parseWorkerMessage({ kind: 'progress', id: 1, stage: 'Reading model', done: 1, total: 4 }).kind, 'progress');
  assert.equal(parseWorkerMessage({ kind: 'result', id: 1, result: { pid: 1 } }).kind, 'result');
  const err = { kind: 'error', id: 1, err: toWireError(new RangeError('too far')) };
  assert.deepEqual(parseWorkerMessage(err), err);
  assert.throws(() => parseWorkerMessage({ kind: 'error', id: 1, err: { name: 'Error' } }), /host: malformed message from the worker: \{"kind":"error"/);
  assert.throws(() => parseWorkerMessage({ kind: 'progress', id: 1 }), ProtocolError);
  assert.throws(() => parseWorkerMessage({ kind: 'progress', id: 1, stage: 's', done: '1' }), ProtocolError);
});

test("a request's params are checked against its method's schema before the job runs", () => {
  const analyse = { provider: 'cpu', model: '/m.onnx', data: '/d', classIndex: 2, layers: ['fc', 'layer3.1'], store: '/s', params: { tau: 8 } };
  assert.deepEqual(checkParams('analyse', analyse), analyse);
  assert.deepEqual(checkParams('ping', {}), {});
  const refused = (method: keyof typeof WORKER_PARAMS, params: unknown, why: RegExp) =>
    assert.throws(
      () => checkParams(method, params),
      (e: Error) => e instanceof ProtocolError && why.test(e.message),
      `${method} ${JSON.stringify(params)}`,
    );
  refused('analyse', { ...analyse, store: undefined }, /^worker: params of analyse: field "store" is missing/);
  refused('analyse', { ...analyse, classIndex: -1 }, /field "classIndex" is negative/);
  refused('analyse', { ...analyse, params: { tau: 'many' } }, /field "params.tau"/);
  refused(
    'maskGroup',
    { provider: 'cpu', result: '/r.json', image: '/i.png', layer: 'l', channels: [1, 2.5], classIndex: 0 },
    /field "channels\[1\]" is not an integer/,
  );
  refused('regroup', { result: '/r.json', layer: 'l', count: 0 }, /field "count"/);
  refused('describeModel', { path: '/m.onnx', provider: 'tpu' }, /field "provider"/);
  refused('audit', { model: '/m', data: '/d', store: '/s', classes: 'some' }, /field "classes"/);
  // Every method has its schema.
  assert.deepEqual(Object.keys(WORKER_PARAMS).sort(), [
    'analyse',
    'analyseBatch',
    'audit',
    'compareCheckpoints',
    'describeModel',
    'explainBatch',
    'explainImage',
    'locateModule',
    'maskGroup',
    'ping',
    'regroup',
    'scan',
  ]);
});

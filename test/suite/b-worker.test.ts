/**
 * The analysis worker as the extension host runs it (forked with ELECTRON_RUN_AS_NODE from VS Code's own
 * executable): requests, progress, errors, cancellation, timeouts, crash recovery.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { WorkerClient } from '../../src/extension/workerClient';
import { extension, fixture } from './helpers';

suite('analysis worker', () => {
  let client: WorkerClient;
  const logs: string[] = [];
  setup(() => {
    client = new WorkerClient({ script: path.join(extension().extensionPath, 'dist', 'worker.js'), log: (l) => logs.push(l) });
  });
  teardown(() => client.dispose());

  test('starts lazily and answers a request', async () => {
    assert.equal(client.pid, undefined, 'no process before the first request');
    const pong = await client.request('ping', {});
    assert.equal(pong.pid, client.pid);
    assert.notEqual(pong.pid, process.pid);
  });

  test('describeModel reads the fixture model and streams progress', async () => {
    const stages: string[] = [];
    const summary = await client.request(
      'describeModel',
      { path: fixture('generated', 'tiny-cnn.onnx').fsPath, provider: 'cpu' },
      { onProgress: (p) => stages.push(p.stage) },
    );
    assert.ok(stages.length > 0, 'progress events');
    assert.deepEqual(
      summary.inputs.map((i) => [i.name, i.shape]),
      [['input', ['batch', 3, 16, 16]]],
    );
    assert.deepEqual(
      summary.outputs.map((o) => o.name),
      ['logits'],
    );
    assert.equal(summary.opset, 17);
    assert.equal(summary.operators.find((o) => o.opType === 'Conv')?.count, 2);
    assert.equal(
      summary.nodeCount,
      summary.operators.reduce((n, o) => n + o.count, 0),
    );
  });

  test('an engine error comes back with its class and names the file', async () => {
    const file = fixture('generated', 'not-a-model.onnx').fsPath;
    await assert.rejects(client.request('describeModel', { path: file, provider: 'cpu' }), (e: Error) => {
      assert.equal(e.name, 'OnnxFormatError');
      assert.ok(e.message.includes(file), e.message);
      return true;
    });
  });

  test('a cancelled job stops within a second and the worker lives on', async () => {
    await client.request('ping', {});
    const pid = client.pid;
    const controller = new AbortController();
    const t0 = Date.now();
    const job = client.request('ping', { delayMs: 30_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(job, (e: Error) => e.name === 'CancelledError');
    assert.ok(Date.now() - t0 < 1000, `cancel took ${Date.now() - t0} ms`);
    assert.equal((await client.request('ping', {})).pid, pid, 'same worker after the cancel');
  });

  test('a request times out', async () => {
    await assert.rejects(client.request('ping', { delayMs: 30_000 }, { timeoutMs: 200 }), /timed out after 200 ms/);
  });

  test('a crashed worker fails its requests and is restarted on the next one', async () => {
    await client.request('ping', {});
    const pid = client.pid;
    const job = client.request('ping', { delayMs: 30_000 });
    client.kill();
    await assert.rejects(job, /worker stopped/);
    const pong = await client.request('ping', {});
    assert.notEqual(pong.pid, pid);
  });
});

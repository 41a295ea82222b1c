import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionCache } from '../../../src/engine/runtime/sessions';
import { batchSizeFor, bytesPerSample, CPU_BATCH, CPU_BATCH_BYTES, cpuBatchSizeFor } from '../../../src/engine/runtime/batching';
import { OrtSession, providerOrder } from '../../../src/engine/runtime/ort';
import { RuntimeError } from '../../../src/engine/errors';
import { randomFloats, tinyResnetBytes } from '../onnx/fixtures';

test('a session is built once per (model, sub-model, provider) and reused', async () => {
  const cache = new SessionCache(2);
  let builds = 0;
  const build = () => {
    builds++;
    return tinyResnetBytes();
  };
  const key = { sha256: 'abc', sub: 'full' };
  const [s1, s2] = await Promise.all([cache.get(key, build, 'tiny'), cache.get(key, build, 'tiny')]);
  assert.equal(s1, s2);
  assert.equal(builds, 1);
  assert.equal(s1.provider, 'cpu');
  await cache.get({ ...key, sub: 'other' }, build, 'tiny');
  assert.equal(builds, 2);
  const out = await cache.use(key, build, 'tiny', (s) => s.run({ input: { data: randomFloats(192), dims: [1, 3, 8, 8] } }));
  assert.deepEqual(out.logits.dims, [1, 5]);
  assert.equal(builds, 2);
  await cache.clear();
  assert.equal(cache.size, 0);
});

test('a session without the CPU memory arena is cached apart and computes the same outputs', async () => {
  const cache = new SessionCache(4);
  let builds = 0;
  const build = () => {
    builds++;
    return tinyResnetBytes();
  };
  const key = { sha256: 'arena', sub: 'full' };
  const feeds = { input: { data: randomFloats(2 * 192, 7), dims: [2, 3, 8, 8] } };
  const withArena = await cache.use(key, build, 'tiny', (s) => s.run(feeds));
  const without = await cache.use({ ...key, memoryArena: false }, build, 'tiny', (s) => s.run(feeds));
  assert.equal(builds, 2, 'the arena setting is part of the key');
  assert.ok(cache.has({ ...key, memoryArena: false }) && cache.has({ ...key, memoryArena: true }));
  assert.deepEqual(without.logits.dims, withArena.logits.dims);
  assert.deepEqual([...without.logits.data], [...withArena.logits.data]);
  await cache.clear();
});

test('the least recently used idle session is released beyond capacity, never one in use', async () => {
  const cache = new SessionCache(1);
  const build = () => tinyResnetBytes();
  let inner = false;
  await cache.use({ sha256: 'a', sub: '1' }, build, 'tiny', async () => {
    await cache.get({ sha256: 'a', sub: '2' }, build, 'tiny');
    inner = cache.has({ sha256: 'a', sub: '1' });
  });
  assert.ok(inner, 'the session in use stayed');
  assert.equal(cache.size, 1);
  assert.ok(cache.has({ sha256: 'a', sub: '2' }) !== cache.has({ sha256: 'a', sub: '1' }));
  await cache.clear();
});

test('a model onnxruntime cannot load is not cached and names the model', async () => {
  const cache = new SessionCache();
  await assert.rejects(
    cache.get({ sha256: 'x', sub: 'bad' }, () => new Uint8Array([8, 1, 2, 3]), 'broken.onnx'),
    (e: Error) => e instanceof RuntimeError && /^broken\.onnx: onnxruntime rejected the model/.test(e.message),
  );
  assert.equal(cache.size, 0);
});

test('batch sizes follow the memory budget', () => {
  const per = bytesPerSample([
    [1, 64, 32, 32],
    [1, 10],
  ]);
  assert.equal(per, (64 * 32 * 32 + 10) * 4);
  assert.equal(batchSizeFor(per, per * 5.5), 5);
  assert.equal(batchSizeFor(per, per / 2), 1);
  assert.equal(batchSizeFor(per, 1e15, 64), 64);
});

test('the CPU batch: CPU_BATCH samples, halved until they fit CPU_BATCH_BYTES, never over the budget', () => {
  assert.equal(cpuBatchSizeFor(1024), CPU_BATCH);
  assert.equal(cpuBatchSizeFor(CPU_BATCH_BYTES / CPU_BATCH), CPU_BATCH, 'exactly at the limit');
  assert.equal(cpuBatchSizeFor(CPU_BATCH_BYTES / CPU_BATCH + 1), CPU_BATCH / 2);
  // A 224-px ResNet-50 needs about 110 MB of activations per sample: 4 fit in 512 MiB.
  assert.equal(cpuBatchSizeFor(110e6), 4);
  assert.equal(cpuBatchSizeFor(2 * CPU_BATCH_BYTES), 1, 'one sample over the limit still runs');
  assert.equal(cpuBatchSizeFor(1024, 1024 * 5), 5, 'the memory budget still bounds it');
});

test('provider order: auto tries GPU providers then cpu; cpu alone is cpu', async () => {
  assert.deepEqual(providerOrder('auto', 'linux'), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(providerOrder('auto', 'win32'), ['cuda', 'dml', 'webgpu', 'cpu']);
  assert.deepEqual(providerOrder('cpu'), ['cpu']);
  // `auto` always ends with a loaded provider and reports which (and why the others did not load).
  const s = await OrtSession.create(tinyResnetBytes(), 'tiny', { provider: 'auto', threads: 1 });
  try {
    assert.ok(['cuda', 'webgpu', 'cpu'].includes(s.provider));
    for (const k of s.skipped) assert.ok(k.reason.length > 0);
    const out = await s.run({ input: { data: randomFloats(192), dims: [1, 3, 8, 8] } });
    assert.deepEqual(out.logits.dims, [1, 5]);
  } finally {
    await s.release();
  }
});

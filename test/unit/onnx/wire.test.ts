/**
 * Errors for damaged ONNX files (issue #17, finding 9): "not an ONNX model" only for bytes that do not start
 * like one; "truncated" only when the file ends early (never for a flipped byte); otherwise "damaged at byte N"
 * with the message path. And the field table of wire.ts matches onnx.proto.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { loadModelFromBytes } from '../../../src/engine/onnx/model';
import { locateDamage, ONNX_MESSAGES } from '../../../src/engine/onnx/wire';
import { NeurflowError, OnnxFormatError } from '../../../src/engine/errors';
import { REPO_ROOT, sharedPath } from '../../helpers/shared';
import { tinyResnetBytes } from './fixtures';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function errorOf(bytes: Uint8Array, name = 'm.onnx'): Error | undefined {
  try {
    loadModelFromBytes(bytes, name);
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

test('the field table matches src/engine/onnx/onnx.proto', () => {
  const root = protobuf.parse(readFileSync(path.join(REPO_ROOT, 'src', 'engine', 'onnx', 'onnx.proto'), 'utf8'), { keepCase: true }).root;
  root.resolveAll();
  const wireOf = (t: string) =>
    ['float', 'fixed32', 'sfixed32'].includes(t) ? 5 : ['double', 'fixed64', 'sfixed64'].includes(t) ? 1 : ['string', 'bytes'].includes(t) ? 2 : 0;
  const seen: string[] = [];
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type) {
        const name = n.fullName.replace(/^\.onnx\./, '');
        seen.push(name);
        const table = ONNX_MESSAGES[name];
        assert.ok(table, `${name} is in the table`);
        assert.deepEqual(
          Object.keys(table)
            .map(Number)
            .sort((a, b) => a - b),
          n.fieldsArray.map((f) => f.id).sort((a, b) => a - b),
          name,
        );
        for (const field of n.fieldsArray) {
          const def = table[field.id];
          const msg = field.resolvedType instanceof protobuf.Type ? field.resolvedType.fullName.replace(/^\.onnx\./, '') : undefined;
          assert.equal(def.name, field.name, `${name}.${field.id}`);
          assert.equal(def.msg, msg, `${name}.${field.name}`);
          assert.equal(def.wire, msg || field.resolvedType instanceof protobuf.Enum ? (msg ? 2 : 0) : wireOf(field.type), `${name}.${field.name} wire`);
          assert.equal(def.repeated ?? false, field.repeated, `${name}.${field.name} repeated`);
        }
      }
      if ('nestedArray' in n) visit(n as protobuf.NamespaceBase);
    }
  };
  visit(root);
  assert.deepEqual(seen.sort(), Object.keys(ONNX_MESSAGES).sort());
});

test('a sound model has no damage; bytes that are not ONNX are "not an ONNX model"', () => {
  assert.equal(locateDamage(tinyResnetBytes()), undefined);
  for (const [what, bytes] of [
    ['PNG', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
    ['text', new TextEncoder().encode('# README\nhello world\n')],
    ['JSON', new TextEncoder().encode('{"format": "neurflow.result"}')],
  ] as const) {
    const e = errorOf(bytes);
    assert.ok(e instanceof OnnxFormatError && /m\.onnx: not an ONNX model \(it starts with the bytes/.test(e.message), `${what}: ${e?.message}`);
  }
});

function models(t: import('node:test').TestContext): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [['tiny.onnx', tinyResnetBytes()]];
  for (const name of ['shortcut-resnet.onnx', 'shortcut-resnet-opset9-constants.onnx', 'shortcut-resnet-external.onnx']) {
    const file = sharedPath(t, `reference/models/${name}`);
    if (file) out.push([name, readFileSync(file)]);
  }
  return out;
}

test('a file cut anywhere is "truncated" (or ends at a field boundary), naming where it ends', (t) => {
  const random = rng(17);
  let truncated = 0;
  for (const [name, bytes] of models(t)) {
    for (let i = 0; i < 60; i++) {
      const cut = 1 + Math.floor(random() * (bytes.length - 2));
      const e = errorOf(bytes.subarray(0, cut), name);
      assert.ok(e instanceof OnnxFormatError, `${name} cut at ${cut}: ${e?.message}`);
      assert.doesNotMatch(e.message, /not an ONNX model|is damaged at/, `${name} cut at ${cut}`);
      if (/the ONNX file is truncated: it ends at byte \d+ inside /.test(e.message)) truncated++;
      else assert.match(e.message, /ends before the end of |no graph, IR version or opset import/, `${name} cut at ${cut}: ${e.message}`);
    }
  }
  assert.ok(truncated > 150, `${truncated} cuts called truncated`);
});

test('a flipped byte is never "truncated" and never "not an ONNX model"; damage names the byte and the message', (t) => {
  const random = rng(29);
  let damaged = 0;
  for (const [name, bytes] of models(t)) {
    // The structure lives in the first part of the files (graph nodes); raw weights follow.
    const span = Math.min(bytes.length, 6000);
    for (let i = 0; i < 400; i++) {
      const copy = Uint8Array.from(bytes);
      const at = 2 + Math.floor(random() * (span - 2));
      copy[at] = random() < 0.5 ? copy[at] ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
      const e = errorOf(copy, name);
      if (!e) continue;
      assert.ok(e instanceof NeurflowError, `${name} byte ${at}: ${e.stack}`);
      assert.doesNotMatch(e.message, /truncated|not an ONNX model|index out of range/, `${name} byte ${at}: ${e.message}`);
      const m = /the ONNX file is damaged at byte (\d+), in (\S+)/.exec(e.message);
      if (m) {
        damaged++;
        // Found where the structure stops fitting: at the flipped byte or after it (a shorter length shows later).
        assert.ok(Number(m[1]) >= Math.min(at, 2) && Number(m[1]) < bytes.length, `${name}: flipped ${at}, reported ${m[1]}`);
      }
    }
  }
  assert.ok(damaged > 50, `${damaged} damage reports`);
});

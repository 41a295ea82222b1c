/**
 * Labelling a real result end to end. The language model is the only stand-in (`LanguageModelStandIn` below: the
 * boundary the extension fills with vscode.lm); everything else — crops, prompts, parsing, the check's mix and
 * score, the data fallback, the document update — is the real code on a real result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { allGroups, findGroup, groupCrops, type GroupRef } from '../../../src/engine/labels/group-crops';
import { LanguageModelUnavailable, labelGroups, setUserLabel, withLabel, type LanguageModelPort } from '../../../src/engine/labels/labeler';
import type { PromptPart } from '../../../src/engine/labels/prompt';
import { readResult, writeResult } from '../../../src/engine/result/store';
import { validateResult, type ResultDocument } from '../../../src/engine/result/schema';
import { realResult } from './real-result';

type Reply = (parts: PromptPart[], call: number) => string | undefined;

/**
 * STAND-IN for a multimodal language model (the vscode.lm boundary). It answers labelling requests with a label
 * naming the first crop it was shown, and label checks by recognising, byte for byte, the crops of the group
 * being labelled (an oracle: `groupCropsOf`), unless `reply` overrides an answer.
 */
class LanguageModelStandIn implements LanguageModelPort {
  readonly name = 'Stand-in Vision (test)';
  readonly calls: PromptPart[][] = [];
  current: Set<string> = new Set();

  constructor(
    private readonly doc: ResultDocument,
    private readonly reply?: Reply,
  ) {}

  async ask(parts: PromptPart[], signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    this.calls.push(parts);
    const custom = this.reply?.(parts, this.calls.length);
    if (custom !== undefined) return custom;
    const text = parts
      .filter((p) => p.kind === 'text')
      .map((p) => (p as { text: string }).text)
      .join('\n');
    const images = parts.filter((p): p is Extract<PromptPart, { kind: 'image' }> => p.kind === 'image');
    if (text.includes('{"label"')) {
      const m = /Group G(\d+) of layer (\S+) /.exec(text)!;
      const ref = { layer: m[2], group: Number(m[1]) };
      const own = groupCrops(this.doc, ref);
      this.current = new Set(own.all.map((c) => this.doc.crops.thumbnails[String(c)]).filter(Boolean));
      return `Here you go:\n\`\`\`json\n{"label": "crop ${images[0].crop} pattern", "description": "Seen ${images.length} images."}\n\`\`\``;
    }
    const uri = (p: Extract<PromptPart, { kind: 'image' }>) => `data:${p.mime};base64,${Buffer.from(p.data).toString('base64')}`;
    const matches = images.flatMap((p, k) => (this.current.has(uri(p)) ? [k + 1] : []));
    return JSON.stringify({ matches });
  }
}

const labelOf = (doc: ResultDocument, ref: GroupRef) => {
  const { grouping, index } = findGroup(doc, ref);
  return grouping.groups[index].label;
};

test("every group gets a language-model label with the model name, its description, and the check's confidence", async () => {
  const doc = realResult();
  const model = new LanguageModelStandIn(doc);
  const refs = allGroups(doc);
  const progress: number[] = [];
  const run = await labelGroups(doc, refs, { model, onProgress: (done) => progress.push(done) });
  assert.equal(run.cancelled, false);
  assert.equal(run.outcomes.length, refs.length);
  assert.deepEqual(progress, [...refs.keys(), refs.length]);
  for (const [k, ref] of refs.entries()) {
    const label = labelOf(run.doc, ref)!;
    const labelCall = model.calls.find((c) => c.some((p) => p.kind === 'text' && p.text.includes(`Group G${ref.group} of layer ${ref.layer} `)))!;
    const first = labelCall.find((p) => p.kind === 'image') as { crop: number };
    assert.equal(label.text, `crop ${first.crop} pattern`);
    assert.equal(label.source, 'language-model');
    assert.equal(label.model, 'Stand-in Vision (test)');
    assert.match(label.detail!, /^Seen \d+ images\.$/);
    const outcome = run.outcomes[k];
    if (outcome.check) {
      // The stand-in recognises exactly the group's crops: every crop classified right.
      assert.equal(label.confidence, 1);
      assert.deepEqual(label.check, { correct: outcome.check.total, total: outcome.check.total });
      assert.equal(outcome.check.hits + outcome.check.falseAlarms, outcome.check.hits);
    } else {
      assert.equal(label.confidence, undefined);
      assert.match(outcome.error!, /not enough crops/);
    }
    assert.equal(labelOf(doc, ref), undefined, 'the input document is not changed');
  }
  assert.ok(run.outcomes.filter((o) => o.check).length >= refs.length - 1);
  // Label request then check request per group, the check naming the label it checks.
  const checks = model.calls.filter((c) => c.some((p) => p.kind === 'text' && p.text.includes('"matches"')));
  for (const c of checks) assert.match((c[0] as { text: string }).text, /was labelled "crop \d+ pattern"/);
  // Saved in the result: validates, and reads back the same.
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-labels-'));
  try {
    const file = path.join(dir, 'r.neurflow-result.json');
    writeResult(file, validateResult(run.doc, 'labelled'));
    assert.deepEqual(readResult(file).layers, run.doc.layers);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model that picks every crop of the check gets the share of group crops as confidence', async () => {
  const doc = realResult();
  const ref = allGroups(doc)[2];
  const model = new LanguageModelStandIn(doc, (parts) =>
    parts.some((p) => p.kind === 'text' && p.text.includes('"matches"')) ? '{"matches": [1,2,3,4,5,6,7,8]}' : undefined,
  );
  const run = await labelGroups(doc, [ref], { model });
  const check = run.outcomes[0].check!;
  assert.equal(check.total, 8);
  assert.equal(check.hits, 4);
  assert.equal(labelOf(run.doc, ref)!.confidence, 0.5);
});

test('without a model: data labels with the reason, for every group', async () => {
  const doc = realResult();
  const run = await labelGroups(doc, allGroups(doc), { noModelReason: 'No language model available: no chat model is installed' });
  for (const ref of allGroups(doc)) {
    const label = labelOf(run.doc, ref)!;
    assert.equal(label.source, 'data');
    assert.equal(label.reason, 'No language model available: no chat model is installed');
    assert.match(label.text, / images$/);
  }
});

test('a reply without a label: that group falls back to data, named; the others keep the model', async () => {
  const doc = realResult();
  const refs = allGroups(doc).slice(0, 3);
  const model = new LanguageModelStandIn(doc, (_parts, call) => (call === 1 ? 'I would rather not\nsay anything\nabout these\nimages.' : undefined));
  const run = await labelGroups(doc, refs, { model });
  const first = labelOf(run.doc, refs[0])!;
  assert.equal(first.source, 'data');
  assert.match(first.reason!, /^The language model Stand-in Vision \(test\) failed on this group: language model reply: no label found/);
  assert.match(run.outcomes[0].error!, /no label found/);
  for (const ref of refs.slice(1)) assert.equal(labelOf(run.doc, ref)!.source, 'language-model');
});

test('a model that becomes unusable: the remaining groups get data labels saying why', async () => {
  const doc = realResult();
  const refs = allGroups(doc).slice(0, 4);
  const model = new LanguageModelStandIn(doc, (_parts, call) => {
    if (call === 3) throw new LanguageModelUnavailable('no permission (the user declined)');
    return undefined;
  });
  const run = await labelGroups(doc, refs, { model });
  assert.equal(labelOf(run.doc, refs[0])!.source, 'language-model');
  assert.match(run.modelUnavailable!, /cannot be used: no permission/);
  for (const ref of refs.slice(1)) {
    const label = labelOf(run.doc, ref)!;
    assert.equal(label.source, 'data');
    assert.match(label.reason!, /The language model Stand-in Vision \(test\) cannot be used: no permission/);
  }
  assert.equal(model.calls.length, 3, 'no request after the model became unusable');
});

test('cancelling keeps the labels made so far and stops asking', async () => {
  const doc = realResult();
  const refs = allGroups(doc).slice(0, 4);
  const controller = new AbortController();
  const model = new LanguageModelStandIn(doc, (_parts, call) => {
    if (call === 3) {
      controller.abort();
      throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    }
    return undefined;
  });
  const run = await labelGroups(doc, refs, { model, signal: controller.signal });
  assert.equal(run.cancelled, true);
  assert.equal(run.outcomes.length, 1);
  assert.equal(labelOf(run.doc, refs[0])!.source, 'language-model');
  for (const ref of refs.slice(1)) assert.equal(labelOf(run.doc, ref), undefined);
  assert.equal(model.calls.length, 3);
});

test('user labels: set, trimmed, kept by a new labelling run unless replaced; blank removes', async () => {
  const doc = realResult();
  const [a, b] = allGroups(doc);
  const edited = setUserLabel(doc, a, '  magenta   checker  ');
  assert.deepEqual(labelOf(edited, a), { text: 'magenta checker', source: 'user' });
  assert.equal(labelOf(doc, a), undefined);
  const run = await labelGroups(edited, [a, b], { noModelReason: 'none' });
  assert.deepEqual(labelOf(run.doc, a), { text: 'magenta checker', source: 'user' });
  assert.equal(run.outcomes[0].keptUserLabel, true);
  assert.equal(labelOf(run.doc, b)!.source, 'data');
  const replaced = await labelGroups(edited, [a], { noModelReason: 'none', replaceUserLabels: true });
  assert.equal(labelOf(replaced.doc, a)!.source, 'data');
  assert.equal(labelOf(setUserLabel(edited, a, '   '), a), undefined);
  assert.equal(labelOf(withLabel(edited, a, undefined), a), undefined);
  assert.deepEqual(labelOf(withLabel(edited, b, { text: 'x', source: 'data' }), a), { text: 'magenta checker', source: 'user' });
});

/**
 * "Label error or shortcut?" in the Mistakes view, against the built bundle in headless Chromium:
 * the view asks for the audit (`runAudit`), and the test answers as the host's worker does, with the engine's
 * REAL audit of the demo (shortcut ResNet, demo images, class triangle; the shared demo result is reused as
 * the class analysis). Checks the shortcut cards (evidence boxes where the audit put them), both lists, and
 * Export (the CSV the view posts is the lists').
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { auditJson, runAudit } from '../../src/engine/audit/run';
import { auditCsv, type AuditView } from '../../src/protocol/audit';
import type { ResultViewMessage } from '../../src/protocol/webview';
import { DEMO_BLOCKS, DEMO_PARAMS, TEST_RESULTS } from '../helpers/demo-result';
import { demoResult, demoScan, DEMO_IMAGES, DEMO_MODEL } from './demo-result';
import { closeBrowser, openPanel, OUT, ROOT, type Harness } from './harness';

type Posted = { type: string; [k: string]: unknown };
let h: Harness;
let message: ResultViewMessage;
let report: AuditView;

before(async () => {
  const [res, scan] = await Promise.all([demoResult(), demoScan()]);
  report = auditJson(
    await runAudit({
      model: DEMO_MODEL,
      data: DEMO_IMAGES,
      classes: ['triangle'],
      store: TEST_RESULTS,
      provider: 'cpu',
      scan,
      analysis: { params: DEMO_PARAMS, blocks: DEMO_BLOCKS },
    }),
  );
  mkdirSync(OUT, { recursive: true });
  h = await openPanel({ serve: { data: DEMO_IMAGES }, viewport: { width: 1100, height: 1400 } });
  message = {
    type: 'result',
    doc: res.doc,
    scan,
    datasetRoot: DEMO_IMAGES,
    imageBase: `${new URL(h.url).origin}/data`,
    file: path.join(ROOT, '.cache', 'webview', 'demo.neurflow-result.json'),
    tab: 'mistakes',
  };
  await h.waitForPosted('ready');
});

after(async () => {
  await h?.close();
  await closeBrowser();
});

async function lastRendered(view: string): Promise<Posted> {
  await h.page.waitForFunction((v) => (window as unknown as { __posted: Posted[] }).__posted.some((m) => m.type === 'rendered' && m.view === v), view, {
    timeout: 60_000,
  });
  return (await h.posted()).filter((m) => m.type === 'rendered' && m.view === view).at(-1)!;
}

test("the audit finds the demo's marker shortcut and lists its mistakes apart from label errors", () => {
  assert.ok(report.shortcuts.length >= 1, 'at least one triangle shortcut group');
  assert.ok(report.shortcuts.every((s) => s.class === 'triangle' && s.classesSpanned.length >= 2 && s.flipRate >= 0.5));
  assert.ok(report.shortcutMistakes.length >= 20, `shortcut mistakes: ${report.shortcutMistakes.length}`);
  // The demo (test split) has no flipped labels: every image the audit calls a shortcut mistake with its label restored is labelled as what it is.
  assert.ok(report.shortcutMistakes.every((m) => m.predicted === 'triangle' && report.shortcuts.some((s) => s.id === m.shortcut)));
});

test('the Mistakes view shows shortcut cards, both lists, and exports them as CSV', async () => {
  await h.send(message);
  await h.page.locator('.audit vscode-button').first().click();
  const req = await h.waitForPosted('runAudit');
  await h.send({ type: 'audit', requestId: req.requestId, report });
  const rendered = await lastRendered('audit');
  const expected = [
    ...report.shortcuts.map((s) => `shortcut:${s.id}`),
    ...report.labelErrors.slice(0, 50).map((e) => `label-error:${e.path}`),
    ...report.shortcutMistakes.slice(0, 50).map((m) => `shortcut-mistake:${m.path}`),
  ];
  assert.deepEqual(rendered.items, expected);
  assert.equal(await h.page.locator('.shortcut-card').count(), report.shortcuts.length);
  assert.equal(await h.page.locator('table[aria-label="Label errors"] tbody tr').count(), Math.min(50, report.labelErrors.length));
  assert.equal(await h.page.locator('table[aria-label="Shortcut mistakes"] tbody tr').count(), Math.min(50, report.shortcutMistakes.length));
  // The first card's first example: its evidence box drawn where the audit located it (percent of the 64-px input).
  const first = report.shortcuts[0].examples[0];
  await h.page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.shortcut-card img')].every((i) => i.complete && i.naturalWidth > 0));
  const box = await h.page
    .locator('.shortcut-card')
    .first()
    .locator('.box')
    .first()
    .evaluate((e) => {
      const s = (e as HTMLElement).style;
      return [s.left, s.top, s.width, s.height].map((v) => Number.parseFloat(v));
    });
  const [x0, y0, x1, y1] = first.box;
  [(x0 / 64) * 100, (y0 / 64) * 100, ((x1 - x0) / 64) * 100, ((y1 - y0) / 64) * 100].forEach((v, i) =>
    assert.ok(Math.abs(v - box[i]) < 1e-6, `box ${box} vs ${first.box}`),
  );
  await h.page.screenshot({ path: path.join(OUT, 'audit-dark.png'), fullPage: true });
  await h.page.locator('.audit-actions vscode-button').click();
  const exp = await h.waitForPosted('exportAudit');
  assert.equal(exp.csv, auditCsv(report));
  const lines = (exp.csv as string).trim().split('\n');
  assert.equal(lines[0], 'path,label,suggested,kind');
  assert.equal(lines.length, 1 + report.labelErrors.length + report.shortcutMistakes.length);
  assert.deepEqual(await h.violations(), []);
  assert.deepEqual(h.errors(), []);
});

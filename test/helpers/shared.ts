/**
 * Locates the team's reference data (`../shared` beside the repository). Tests that compare against it call
 * `sharedPath()`: on CI (`CI=true`) a missing reference is a failure; elsewhere such a test is skipped with
 * the reason printed.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SHARED_DIR = process.env.NEURFLOW_SHARED ?? path.resolve(REPO_ROOT, '..', 'shared');

/**
 * The absolute path of `rel` under shared/, or undefined when it is absent outside CI (the test is then
 * marked skipped through `t`). Under CI=true a missing reference throws, so the test fails.
 */
export function sharedPath(t: TestContext, rel: string): string | undefined {
  const p = path.join(SHARED_DIR, rel);
  if (existsSync(p)) return p;
  if (process.env.CI === 'true') throw new Error(`reference data missing: ${p} (CI must have ../shared)`);
  t.skip(`reference data not found: ${p}`);
  return undefined;
}

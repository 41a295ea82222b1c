/**
 * The real result for the label tests: THE demo test result shared by every test layer (class triangle, the top
 * layer + the last 5 blocks, tau 8, 16 IG steps; test/helpers/demo-result.ts), made on first use (7-10 s
 * on 2 cores) and cached in .cache/test-results, never committed.
 *
 * Importing this module registers a root-level before() hook in the test file that loads it, so realResult()
 * stays synchronous inside the tests.
 */
import { before } from 'node:test';
import type { ResultDocument } from '../../../src/engine/result/schema';
import { demoResult } from '../../helpers/demo-result';

export { DEMO_IMAGES, DEMO_MODEL } from '../../helpers/demo-result';

let cached: ResultDocument | undefined;

before(async () => {
  cached = (await demoResult()).doc;
});

/** The real result (a fresh deep copy per call: tests may change it). Call it inside a test. */
export function realResult(): ResultDocument {
  if (!cached) throw new Error('realResult() was called before the demo result was loaded: call it inside a test, not at module level');
  return structuredClone(cached);
}

/**
 * The real result for the webview tests: THE demo test result shared by every test layer (class triangle, the top
 * layer + the last 5 blocks, tau 8, 16 IG steps; cached in .cache/test-results by the engine's key) and the
 * full dataset scan the host sends with it. See test/helpers/demo-result.ts.
 */
export { DEMO_IMAGES, DEMO_MODEL, demoResult, demoScan } from '../helpers/demo-result';

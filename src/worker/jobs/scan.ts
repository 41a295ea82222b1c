/** `scan`: predictions over the dataset for the class picker (names + counts); the full scan stays in memory. */
import type { ScanParams, ScanSummary } from '../../protocol/analysis';
import type { JobContext } from '../job';
import { scanFor, scanSummary } from '../scans';

export async function scan(params: ScanParams, ctx: JobContext): Promise<ScanSummary> {
  const { scan: result, cached } = await scanFor(params, ctx);
  return scanSummary(result, cached);
}

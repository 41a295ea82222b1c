/**
 * `audit`: label error or shortcut? Confident learning's suspects sorted with the circuit of the
 * classes they are predicted as (engine `runAudit`); class analyses are reused from / saved to the store.
 */
import { auditJson, runAudit } from '../../engine/audit/run';
import type { AuditView } from '../../engine/audit/view';
import type { AuditParams } from '../../protocol/audit';
import type { JobContext } from '../job';

export async function audit(params: AuditParams, ctx: JobContext): Promise<AuditView> {
  const report = await runAudit({
    model: params.model,
    data: params.data,
    store: params.store,
    classes: params.classes,
    provider: params.provider,
    threads: params.threads,
    signal: ctx.signal,
    onProgress: (e) => ctx.progress(e.message, e.done, e.total),
  });
  return auditJson(report);
}

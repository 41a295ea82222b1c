/** The worker's jobs, by protocol method: the only registration. */
import type { ParamsOf, ResultOf, WorkerMethod } from '../protocol/worker';
import type { Job } from './job';
import { analyse } from './jobs/analyse';
import { analyseBatch } from './jobs/analyseBatch';
import { compareCheckpoints } from './jobs/compareCheckpoints';
import { audit } from './jobs/audit';
import { describeModel } from './jobs/describeModel';
import { explainBatch } from './jobs/explainBatch';
import { explainImage } from './jobs/explainImage';
import { locateModule } from './jobs/locateModule';
import { maskGroup } from './jobs/maskGroup';
import { ping } from './jobs/ping';
import { regroup } from './jobs/regroup';
import { scan } from './jobs/scan';

export const JOBS: { [M in WorkerMethod]: Job<ParamsOf<M>, ResultOf<M>> } = {
  ping,
  describeModel,
  explainBatch,
  analyseBatch,
  compareCheckpoints,
  scan,
  analyse,
  explainImage,
  maskGroup,
  locateModule,
  regroup,
  audit,
};

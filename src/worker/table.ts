/** The worker's jobs, by protocol method: the only registration. */
import type { ParamsOf, ResultOf, WorkerMethod } from '../protocol/worker';
import type { Job } from './job';
import { describeModel } from './jobs/describeModel';
import { ping } from './jobs/ping';

export const JOBS: { [M in WorkerMethod]: Job<ParamsOf<M>, ResultOf<M>> } = {
  ping,
  describeModel,
};

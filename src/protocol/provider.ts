/** The onnxruntime execution providers a job may ask for (`auto`: the best one this platform can load). */
import * as v from 'valibot';

export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export const ExecutionProviderSchema = v.picklist(EXECUTION_PROVIDERS);
export type ExecutionProvider = v.InferOutput<typeof ExecutionProviderSchema>;

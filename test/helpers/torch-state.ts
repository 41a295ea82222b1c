/**
 * The debuggee's process state that Explain Batch must leave as it found it, read in the paused frame of
 * test/fixture/debug/train_torch.py by one Python expression (evaluated through DAP by the unit and extension tests):
 * every module's training flag, the grad mode, the frame's local and global names, the torch RNG state (hashed),
 * and the autograd graph of the loss.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const STATE_EXPRESSION =
  "__import__('json').dumps({" +
  "'training': [[n, m.training] for n, m in model.named_modules()], " +
  "'grad': __import__('torch').is_grad_enabled(), " +
  "'locals': sorted(locals().keys()), 'globals': sorted(globals().keys()), " +
  "'rng': __import__('hashlib').sha256(__import__('torch').get_rng_state().numpy().tobytes()).hexdigest(), " +
  "'loss': [type(loss.grad_fn).__name__, loss.requires_grad]})";

export interface TorchState {
  training: [string, boolean][];
  grad: boolean;
  locals: string[];
  globals: string[];
  rng: string;
  loss: [string, boolean];
}

/** The state from the evaluate's value (the repr of the JSON string). */
export function parseState(value: string): TorchState {
  const text = /^'.*'$/s.test(value) ? value.slice(1, -1) : value;
  return JSON.parse(text) as TorchState;
}

/** Why /usr/bin/python3 cannot run the PyTorch fixture (torch, numpy, debugpy), or undefined. */
export function torchMissing(python = '/usr/bin/python3'): string | undefined {
  if (!existsSync(python)) return `${python} not found`;
  const r = spawnSync(python, ['-c', 'import torch, numpy, debugpy'], { encoding: 'utf8' });
  return r.status === 0
    ? undefined
    : `${python} lacks torch, numpy or debugpy (apt-get install python3-torch python3-numpy python3-debugpy): ${r.stderr.trim().split('\n').pop()}`;
}

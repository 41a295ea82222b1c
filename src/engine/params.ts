/**
 * The user-facing analysis parameters, declared once: the name used everywhere (result document `params`, the
 * engine's options, the VS Code setting `neurflow.<name>`, the CLI flag `--<kebab-name>`), the default, the
 * range and the help text. The CLI usage, the settings' defaults and the engine's defaults are all read from
 * here; test/unit/params.test.ts checks package.json's settings against it and that no default is written
 * anywhere else.
 */

export interface NumericParam {
  /** The name in the result document, the engine and the setting `neurflow.<name>`. */
  readonly name: string;
  /** The CLI flag, without the dashes. */
  readonly flag: string;
  readonly default: number;
  readonly min: number;
  readonly max?: number;
  /** One line of help (CLI usage and the setting's description). */
  readonly help: string;
  /** Whether VS Code exposes it as a setting. */
  readonly setting: boolean;
}

function param(p: NumericParam): NumericParam {
  return p;
}

export const PARAMS = {
  tau: param({ name: 'tau', flag: 'tau', default: 16, min: 1, max: 512, setting: true, help: 'Core inputs kept per core neuron (`tau` in the paper).' }),
  topCrops: param({
    name: 'topCrops',
    flag: 'top-crops',
    default: 50,
    min: 2,
    max: 1000,
    setting: true,
    help: 'Top activating crops per core neuron (`m` in the paper).',
  }),
  igSteps: param({
    name: 'igSteps',
    flag: 'ig-steps',
    default: 50,
    min: 1,
    max: 1000,
    setting: true,
    help: "Integrated Gradients steps (Gauss-Legendre nodes; captum's default is 50).",
  }),
  blocks: param({
    name: 'blocks',
    flag: 'blocks',
    default: 5,
    min: 1,
    max: 100,
    setting: false,
    help: 'Block outputs analysed below the top layer when no layers are named.',
  }),
  threads: param({ name: 'threads', flag: 'threads', default: 0, min: 0, setting: true, help: 'onnxruntime intra-op threads; 0 = one per core.' }),
} as const;

export type ParamName = keyof typeof PARAMS;

/**
 * The fast analysis (the default; `exact: true` / `--exact` gives the paper's settings): each core neuron's IG
 * climbs a ladder of Gauss-Legendre node counts; a rung's result is kept when its relative completeness error is
 * at most that rung's tolerance and the gap between the tau-th and the next channel exceeds that error, else the
 * next rung runs, and after the last the full `igSteps` pass. One node is exact where the segment is positively
 * homogeneous (ReLU blocks without biases: F(alpha a) = alpha F(a)), and only there: its tolerance is float
 * rounding, because elsewhere a small completeness error can hide per-channel errors that cancel (22 runs of three
 * trained models: 53 of the 360 one-node passes within 5% had another top-tau set than the full pass). On trained
 * networks it rarely settles, so a layer whose first `probe` neurons mostly fail the first rung starts its other
 * neurons on the second. Measured on the reference runs (bench/analysis-reference.ts): 8 nodes already give the
 * authors' core sets and groups exactly.
 */
export const FAST_IG = { ladder: [1, 8], tolerances: [1e-4, 0.05], probe: 4 } as const;

/** `  --tau N   Core inputs ... (default 16)`: one usage line per parameter, aligned at `width`. */
export function usageLine(name: ParamName, width = 21): string {
  const p = PARAMS[name];
  return `  ${`--${p.flag} N`.padEnd(width)}${p.help.replace(/`/g, '')} (default ${p.default})`;
}

/** A setting's value if it is a whole number in range, else the parameter's default. */
export function checkedValue(name: ParamName, value: unknown): number {
  const p = PARAMS[name];
  return typeof value === 'number' && Number.isInteger(value) && value >= p.min && (p.max === undefined || value <= p.max) ? value : p.default;
}

/**
 * The bundled demo, as both `neurflow demo` and NeurFlow: Open Demo run it: class triangle of the shortcut ResNet
 * on its 400 test images, the top layer and the last five blocks, and a smaller tau for a quick first run.
 */
export const DEMO = {
  model: ['demo', 'model', 'shortcut-resnet.onnx'],
  images: ['demo', 'images'],
  className: 'triangle',
  tau: 8,
} as const;

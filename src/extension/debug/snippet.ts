/**
 * The Python that Explain Batch evaluates in the paused frame (DAP `evaluate`). It is ONE expression (so every
 * debug adapter's `repl`/`watch` context accepts it) that runs a small program with `exec`: for each wanted
 * array it evaluates the candidate expressions in order (the frame's globals and locals), converts the first
 * value that is an array (PyTorch on any device and dtype, NumPy, anything with `__array__`, lists of those)
 * with NumPy, and `np.save`s it into the folder the extension chose. Only a short JSON report travels back,
 * written to `meta.json` in that folder and returned as the expression's value: never the data itself.
 */

export interface ArrayRequest {
  /** Name of the output file (`<key>.npy`) and of its entry in the report. */
  key: string;
  /** Expressions tried in order; the first that evaluates to an array is used. */
  candidates: string[];
  /** `float32` for images; `index` keeps integer values as int64 (labels, class predictions), floats as float32. */
  kind: 'float32' | 'index';
  /** A missing optional array is not an error. */
  optional?: boolean;
}

/** The report the snippet writes (meta.json). */
export interface SnippetReport {
  ok: boolean;
  python?: string;
  numpy?: string;
  arrays: Record<string, SnippetArray>;
  /** A failure of the snippet itself (e.g. NumPy missing in the debuggee). */
  error?: string;
}

export type SnippetArray = { expression: string; path: string; shape: number[]; dtype: string; source: string } | { missing: true; tried: SnippetFailure[] };

/** Why a candidate expression was not used. */
export interface SnippetFailure {
  expression: string;
  /** `eval`: the expression raised (NameError, ...); `not-array`: it is not array-like; `convert`: conversion failed. */
  reason: 'eval' | 'not-array' | 'convert';
  /** Exception type or the value's type. */
  type: string;
  message: string;
}

export const META_FILE = 'meta.json';

const PROGRAM = `
import json as _json, os as _os, sys as _sys
def _nf_main(spec, G, L):
    out = {'ok': False, 'arrays': {}, 'python': _sys.version.split()[0]}
    try:
        import numpy as np
    except Exception as e:
        out['error'] = 'NumPy cannot be imported in the debugged program (%s: %s); Explain Batch needs it to write the arrays' % (type(e).__name__, e)
        return out
    out['numpy'] = np.__version__
    env = dict(G)
    env.update(L)
    def describe(v):
        t = type(v)
        d = t.__module__ + '.' + t.__qualname__
        for attr in ('dtype', 'device'):
            x = getattr(v, attr, None)
            if x is not None and not callable(x):
                d += ' ' + str(x)
        return d
    def to_numpy(v):
        if hasattr(v, 'detach') and hasattr(v, 'cpu') and hasattr(v, 'numpy'):
            t = v.detach().cpu()
            if getattr(t, 'is_floating_point', lambda: False)() and str(getattr(t, 'dtype', '')) not in ('torch.float32', 'torch.float64'):
                t = t.float()
            return t.numpy()
        if isinstance(v, np.ndarray):
            return v
        if hasattr(v, '__array__') or hasattr(v, '__array_interface__'):
            return np.asarray(v)
        if hasattr(v, 'numpy') and callable(v.numpy):
            return np.asarray(v.numpy())
        if isinstance(v, (list, tuple)) and len(v) > 0 and not isinstance(v[0], (str, bytes)):
            parts = [to_numpy(x) if not isinstance(x, (int, float, bool)) else x for x in v]
            if any(p is None for p in parts):
                return None
            return np.stack([np.asarray(p) for p in parts]) if not isinstance(parts[0], (int, float, bool)) else np.asarray(parts)
        return None
    for item in spec['items']:
        key = item['key']
        tried = []
        done = False
        for expr in item['candidates']:
            try:
                v = eval(expr, env)
            except BaseException as e:
                tried.append({'expression': expr, 'reason': 'eval', 'type': type(e).__name__, 'message': str(e)})
                continue
            try:
                a = to_numpy(v)
            except BaseException as e:
                tried.append({'expression': expr, 'reason': 'convert', 'type': type(e).__name__, 'message': str(e)})
                continue
            if a is None or a.dtype.kind not in 'biuf' or a.ndim == 0:
                tried.append({'expression': expr, 'reason': 'not-array', 'type': describe(v),
                              'message': 'a %s%s' % (describe(v), '' if a is None else ' of dtype %s and %d dimensions' % (a.dtype, a.ndim))})
                continue
            if item['kind'] == 'float32' or a.dtype.kind == 'f':
                a = np.ascontiguousarray(a, dtype=np.float32)
            else:
                a = np.ascontiguousarray(a, dtype=np.int64)
            path = _os.path.join(spec['dir'], key + '.npy')
            np.save(path, a, allow_pickle=False)
            out['arrays'][key] = {'expression': expr, 'path': path, 'shape': [int(s) for s in a.shape], 'dtype': str(a.dtype), 'source': describe(v)}
            done = True
            break
        if not done:
            out['arrays'][key] = {'missing': True, 'tried': tried}
    out['ok'] = True
    return out
def _nf_run(spec, G, L):
    try:
        out = _nf_main(spec, G, L)
    except BaseException as e:
        out = {'ok': False, 'arrays': {}, 'error': '%s: %s' % (type(e).__name__, e)}
    text = _json.dumps(out)
    with open(_os.path.join(spec['dir'], 'meta.json'), 'w') as f:
        f.write(text)
    return text
`;

/**
 * The expression to evaluate in the frame. `dir` must exist and be writable by the debuggee; every string
 * reaches Python as a JSON literal (which Python reads as the same string), so paths and expressions need no
 * escaping of their own.
 */
export function buildSnippet(dir: string, items: readonly ArrayRequest[]): string {
  for (const item of items) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(item.key)) throw new Error(`array key '${item.key}' must be a Python identifier`);
  }
  const spec = JSON.stringify({ dir, items: items.map(({ key, candidates, kind }) => ({ key, candidates, kind })) });
  // Python's json.loads reads back exactly what JSON.stringify wrote; the program text is a JSON string literal,
  // which is also a valid Python string literal.
  return (
    `(lambda __nf_ns, __nf_g, __nf_l: (exec(${JSON.stringify(PROGRAM)}, __nf_ns), ` +
    `__nf_ns['_nf_run'](__import__('json').loads(${JSON.stringify(spec)}), __nf_g, __nf_l))[1])({}, globals(), locals())`
  );
}

/** Checks a parsed meta.json. */
export function parseReport(text: string, where: string): SnippetReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: the debuggee's report is not JSON (${(e as Error).message})`);
  }
  const v = value as SnippetReport;
  if (typeof v !== 'object' || v === null || typeof v.ok !== 'boolean' || typeof v.arrays !== 'object' || v.arrays === null) {
    throw new Error(`${where}: the debuggee's report lacks "ok" or "arrays"`);
  }
  return v;
}

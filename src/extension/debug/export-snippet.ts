/**
 * The Python that has a paused debuggee export its own PyTorch model to ONNX (docs/design.md 7). Like snippet.ts it
 * is ONE expression that `exec`s a small program in a fresh namespace; only a short JSON report comes back
 * (written to `export.json` in the folder the extension chose, and returned as the expression's value).
 *
 * The program:
 * 1. finds the model (only in a program that imported torch itself): the given expressions (remembered or passed), else every `torch.nn.Module` with parameters in
 *    the frame (locals, globals, attributes of `self`), the usual names first (`model`, `net`, `self.model`...),
 *    submodules of another candidate left out. One is used; none or several are reported for the user to choose.
 * 2. hashes its weights (every `state_dict` entry: name, dtype, shape, bytes; buffers such as BatchNorm's running
 *    statistics included) with the sample shape and the torch version: the export's key. The file `<Class>-<key>.onnx` already
 *    in the folder is reused.
 * 3. else exports it with `torch.onnx.export` in eval mode on a copy of one sample of the batch (same device and
 *    dtype as the model's parameters), batch axis dynamic, input `input`, output `logits` (torch keeps the scoped
 *    node names, `/layer1/conv/Conv`, that NeurFlow names layers by); tracer warnings are reported (data-dependent
 *    control flow), written to a temporary file and renamed.
 * 4. runs the live model on the batch in eval mode without gradients and saves its logits (`live.npy`), the
 *    reference the ONNX model is checked against.
 * Whatever happens, every module's own `training` flag, the grad mode, the CPU (and initialised CUDA) RNG states
 * and the warning filters are put back, and nothing is written to the frame's namespace.
 */

/** What the program is asked to do. */
export interface ExportSpec {
  /** Folder of the exports (`<key>.onnx`); created when missing. */
  modelsDir: string;
  /** Folder for the report and the live logits (the batch's temporary folder). */
  workDir: string;
  /** Expressions of the model tried in order; empty: search the frame. */
  model: string[];
  /** Names looked at first when searching the frame (in this order). */
  preferred: string[];
  /** The expression that holds the images (as the batch transfer found it). */
  images: string;
  /** Candidates for the class names (a list of strings), tried in order; optional. */
  classNames: string[];
  /** ONNX opset; absent: torch's default. */
  opset?: number;
  /** Only search and describe the candidates, export nothing. */
  findOnly?: boolean;
}

/** A model found in the frame. */
export interface ModuleCandidate {
  expression: string;
  /** `package.Class`. */
  type: string;
  parameters: number;
  device: string;
}

export type ExportStage = 'torch' | 'find' | 'hash' | 'input' | 'export' | 'run';

/** The report (export.json). */
export interface ExportReport {
  ok: boolean;
  torch?: string;
  /** The model used, when one was found. */
  model?: ModuleCandidate & { training: boolean };
  /** All candidates found in the frame (when searching); several and none are for the user to resolve. */
  candidates?: ModuleCandidate[];
  /** Expressions given that did not name a module with parameters (why). */
  rejected?: { expression: string; reason: string }[];
  /** sha256 of the weights, the sample shape and the torch version (hex). */
  key?: string;
  onnx?: string;
  /** The file with this key existed: nothing was exported. */
  reused?: boolean;
  exportMs?: number;
  hashMs?: number;
  runMs?: number;
  /** `live.npy`: the live model's logits on the batch, [N, classes]. */
  logits?: string;
  /** Shape of one sample as exported. */
  sampleShape?: number[];
  classNames?: string[];
  classNamesFrom?: string;
  /** Tracer warnings raised while exporting (data-dependent control flow and the like). */
  warnings?: string[];
  /** What failed, with PyTorch's own message. */
  error?: { stage: ExportStage; type: string; message: string };
  /** What the program checked it put back (true each). */
  restored?: { training?: boolean; grad: boolean; rng: boolean };
}

export const EXPORT_REPORT = 'export.json';
export const LIVE_LOGITS = 'live.npy';

/** The names a model usually has in a training or evaluation loop, looked at first. */
export const DEFAULT_MODEL_NAMES: readonly string[] = ['model', 'net', 'self.model', 'self.net', 'network', 'self.network', 'classifier', 'module', 'self'];

/** Candidates for the class names; the first list of strings found names the classes. */
export const DEFAULT_CLASS_NAMES: readonly string[] = [
  'classes',
  'class_names',
  'CLASSES',
  'CLASS_NAMES',
  'self.classes',
  'loader.dataset.classes',
  'train_loader.dataset.classes',
  'val_loader.dataset.classes',
  'test_loader.dataset.classes',
  'dataset.classes',
  'train_dataset.classes',
  'val_dataset.classes',
];

const PROGRAM = `
import json as _json, os as _os, sys as _sys, time as _time
def _nf_export(spec, G, L, torch, out):
    env = dict(G)
    env.update(L)
    Module = torch.nn.Module
    def count(m):
        return int(sum(p.numel() for p in m.parameters()))
    def device_of(m):
        for p in m.parameters():
            return p
        return None
    def describe(expr, m):
        p = device_of(m)
        t = type(m)
        return {'expression': expr, 'type': t.__module__ + '.' + t.__qualname__, 'parameters': count(m), 'device': str(p.device) if p is not None else 'cpu'}
    model = None
    if spec['model']:
        rejected = []
        for expr in spec['model']:
            try:
                v = eval(expr, env)
            except BaseException as e:
                rejected.append({'expression': expr, 'reason': '%s: %s' % (type(e).__name__, e)})
                continue
            if not isinstance(v, Module):
                t = type(v)
                rejected.append({'expression': expr, 'reason': 'a %s.%s, not a torch.nn.Module' % (t.__module__, t.__qualname__)})
                continue
            if count(v) == 0:
                rejected.append({'expression': expr, 'reason': 'a %s without parameters' % type(v).__qualname__})
                continue
            model = (expr, v)
            break
        out['rejected'] = rejected
        if model is None:
            out['error'] = {'stage': 'find', 'type': 'NotFound', 'message': '; '.join('\`%s\` is %s' % (r['expression'], r['reason']) for r in rejected)}
            return out
    else:
        found = []
        seen = set()
        def consider(expr, v):
            if isinstance(v, Module) and id(v) not in seen:
                seen.add(id(v))
                if count(v) > 0:
                    found.append((expr, v))
        for expr in spec['preferred']:
            try:
                consider(expr, eval(expr, env))
            except BaseException:
                pass
        for name, v in list(L.items()) + list(G.items()):
            if not name.startswith('__'):
                consider(name, v)
        me = L.get('self')
        if me is not None and not isinstance(me, type):
            for name, v in list(getattr(me, '__dict__', {}).items()):
                consider('self.' + name, v)
            if isinstance(me, Module):
                for name, v in me.named_children():
                    consider('self.' + name, v)
        inner = set()
        for _, m in found:
            for sub in m.modules():
                if sub is not m:
                    inner.add(id(sub))
        roots = [(e, m) for e, m in found if id(m) not in inner]
        out['candidates'] = [describe(e, m) for e, m in roots]
        if len(roots) != 1 or spec.get('findOnly'):
            out['ok'] = len(roots) == 1
            return out
        model = roots[0]
    expr, m = model
    out['model'] = dict(describe(expr, m), training=bool(m.training))
    for cand in spec['classNames']:
        try:
            v = eval(cand, env)
        except BaseException:
            continue
        if isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, str) for x in v):
            out['classNames'] = list(v)
            out['classNamesFrom'] = cand
            break
    if spec.get('findOnly'):
        out['ok'] = True
        return out
    import hashlib, warnings
    flags = [(sub, sub.training) for sub in m.modules()]
    stage = 'input'
    try:
        p = device_of(m)
        x = eval(spec['images'], env)
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(__import__('numpy').asarray(x))
        x = x.detach().to(device=p.device, dtype=p.dtype if p.is_floating_point() else torch.float32)
        out['sampleShape'] = [int(s) for s in x.shape[1:]]
        stage = 'hash'
        t0 = _time.perf_counter()
        h = hashlib.sha256()
        h.update(('torch %s sample %s dtype %s opset %s\\n' % (torch.__version__, out['sampleShape'], x.dtype, spec.get('opset'))).encode())
        for name, t in m.state_dict().items():
            t = t.detach()
            h.update(('%s %s %s\\n' % (name, t.dtype, list(t.shape))).encode())
            flat = t.cpu().contiguous().reshape(-1)
            try:
                h.update(flat.view(torch.uint8).numpy().tobytes())
            except BaseException:
                h.update(flat.double().numpy().tobytes())
        out['key'] = h.hexdigest()
        out['hashMs'] = round((_time.perf_counter() - t0) * 1000, 1)
        _os.makedirs(spec['modelsDir'], exist_ok=True)
        target = _os.path.join(spec['modelsDir'], '%s-%s.onnx' % (''.join(ch for ch in type(m).__name__ if ch.isalnum() or ch in '_-')[:40] or 'model', out['key'][:16]))
        out['onnx'] = target
        for sub, _ in flags:
            sub.training = False
        if _os.path.exists(target):
            out['reused'] = True
        else:
            stage = 'export'
            out['reused'] = False
            import torch.onnx
            t0 = _time.perf_counter()
            tmp = '%s.%d.tmp' % (target, _os.getpid())
            sample = x[:1].clone()
            kwargs = dict(input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
            if spec.get('opset'):
                kwargs['opset_version'] = spec['opset']
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                with torch.no_grad():
                    torch.onnx.export(m, (sample,), tmp, **kwargs)
            out['warnings'] = sorted(set('%s: %s' % (w.category.__name__, str(w.message).strip().split('\\n')[0]) for w in caught
                                         if 'Tracer' in w.category.__name__ or 'trace' in str(w.message).lower()))
            _os.replace(tmp, target)
            out['exportMs'] = round((_time.perf_counter() - t0) * 1000, 1)
        stage = 'run'
        t0 = _time.perf_counter()
        with torch.no_grad():
            y = m(x)
        if isinstance(y, (list, tuple)):
            y = y[0]
        elif isinstance(y, dict):
            y = y.get('logits', next(iter(y.values())))
        elif hasattr(y, 'logits'):
            y = y.logits
        import numpy as np
        logits = _os.path.join(spec['workDir'], 'live.npy')
        np.save(logits, np.ascontiguousarray(y.detach().float().cpu().numpy()), allow_pickle=False)
        out['logits'] = logits
        out['runMs'] = round((_time.perf_counter() - t0) * 1000, 1)
        out['ok'] = True
    except BaseException as e:
        out['error'] = {'stage': stage, 'type': type(e).__name__, 'message': str(e).strip()}
        try:
            if stage == 'export' and _os.path.exists(tmp):
                _os.remove(tmp)
        except BaseException:
            pass
    finally:
        for sub, flag in flags:
            sub.training = flag
        out['restored'] = {'training': all(sub.training == flag for sub, flag in flags)}
    return out
def _nf_run(spec, G, L):
    out = {'ok': False}
    # A program that has not imported torch has no torch model: importing it here would change the process.
    torch = _sys.modules.get('torch')
    if torch is None or not hasattr(torch, 'nn'):
        out['error'] = {'stage': 'torch', 'type': 'NotImported', 'message': 'the debugged program has not imported torch'}
    else:
        out['torch'] = torch.__version__
        # Taken before any expression of the user's is evaluated (one may build a module and draw random weights).
        grad = torch.is_grad_enabled()
        rng = torch.get_rng_state()
        cuda_rng = None
        try:
            if torch.cuda.is_available() and torch.cuda.is_initialized():
                cuda_rng = torch.cuda.get_rng_state_all()
        except BaseException:
            cuda_rng = None
        try:
            _nf_export(spec, G, L, torch, out)
        except BaseException as e:
            out['ok'] = False
            out['error'] = {'stage': 'find', 'type': type(e).__name__, 'message': str(e)}
        finally:
            torch.set_grad_enabled(grad)
            torch.set_rng_state(rng)
            if cuda_rng is not None:
                torch.cuda.set_rng_state_all(cuda_rng)
            restored = out.setdefault('restored', {})
            restored['grad'] = torch.is_grad_enabled() == grad
            restored['rng'] = bool(torch.equal(torch.get_rng_state(), rng))
    text = _json.dumps(out)
    with open(_os.path.join(spec['workDir'], 'export.json'), 'w') as f:
        f.write(text)
    return text
`;

/**
 * The expression to evaluate in the frame. Every string reaches Python as a JSON literal, so paths and expressions
 * need no escaping of their own; the program runs in a fresh dict, never in the frame's namespace.
 */
export function buildExportSnippet(spec: ExportSpec): string {
  if (spec.images.trim() === '') throw new Error('the images expression is empty');
  const json = JSON.stringify(spec);
  return (
    `(lambda __nf_ns, __nf_g, __nf_l: (exec(${JSON.stringify(PROGRAM)}, __nf_ns), ` +
    `__nf_ns['_nf_run'](__import__('json').loads(${JSON.stringify(json)}), __nf_g, __nf_l))[1])({}, globals(), locals())`
  );
}

/** Checks a parsed export.json. */
export function parseExportReport(text: string, where: string): ExportReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: the debuggee's export report is not JSON (${(e as Error).message})`);
  }
  const v = value as ExportReport;
  if (typeof v !== 'object' || v === null || typeof v.ok !== 'boolean') throw new Error(`${where}: the debuggee's export report lacks "ok"`);
  return v;
}

/**
 * What to do about an export failure, from PyTorch's message: the advice shown under it. `setting` is the setting
 * that takes an exported file instead.
 */
export function exportAdvice(error: { stage: ExportStage; type: string; message: string }, setting: string): string {
  const m = error.message;
  const instead = `export the model yourself and set \`${setting}\` to the .onnx file`;
  if (error.stage === 'torch') return "Explain Batch exports the model with the debugged program's own PyTorch: it cannot be imported there";
  if (error.stage === 'find') return 'name the model with the expression that holds it in the paused frame (e.g. `model` or `self.net`)';
  if (
    /Unsupported: ONNX export of operator|is not supported|Exporting the operator .* to ONNX opset version .* is not supported|UnsupportedOperatorError/i.test(
      m,
    )
  ) {
    return `an operator of this model has no ONNX export in this PyTorch; a newer PyTorch or opset may have it, else ${instead}`;
  }
  if (/Expected all tensors to be on the same device|device/i.test(m)) {
    return `the model's parameters and its input must be on one device (a model split over devices cannot be traced): move it to one device, or ${instead}`;
  }
  if (/control flow|data-dependent|Boolean value of Tensor|TracerWarning|ScriptModule|script/i.test(m)) {
    return `the model's forward takes a data-dependent path, which tracing cannot export: ${instead}`;
  }
  if (error.stage === 'input') return 'the images expression must give the batch the model takes (a tensor or an array)';
  if (error.stage === 'run') return 'the model failed on the batch itself: check the images expression';
  return instead;
}

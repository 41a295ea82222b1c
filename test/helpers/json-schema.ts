/**
 * A small JSON Schema (draft-07) checker for the keywords our generated schemas use (type, const, enum, anyOf,
 * properties, required, additionalProperties, propertyNames, items, additionalItems, minItems, minimum, $ref to
 * a local definition; default is an annotation and ignored). Enough to check a published schema against documents; throws on any other keyword so a
 * schema that grows one is not silently half-checked.
 */
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'default', // an annotation: it constrains nothing
  '$defs',
  'definitions',
  'type',
  'const',
  'enum',
  'anyOf',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'minimum',
  'maxLength',
  '$ref',
]);

function typeOk(type: string, x: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof x === 'object' && x !== null && !Array.isArray(x);
    case 'array':
      return Array.isArray(x);
    case 'integer':
      return Number.isInteger(x);
    case 'number':
      return typeof x === 'number';
    case 'null':
      return x === null;
    default:
      return typeof x === type;
  }
}

/** The first violation of `schema` by `x` as `<path>: <what>`, or undefined when `x` conforms. */
export function jsonSchemaError(root: Schema, x: unknown): string | undefined {
  const visit = (s: Schema, x: unknown, at: string): string | undefined => {
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`json-schema helper: keyword "${k}" at ${at} not supported`);
    if (typeof s.$ref === 'string') {
      const [, kind, name] = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref) ?? [];
      const target = (root[kind] as Record<string, Schema> | undefined)?.[name];
      if (!target) throw new Error(`json-schema helper: unresolved $ref ${s.$ref}`);
      return visit(target, x, at);
    }
    if (typeof s.type === 'string' && !typeOk(s.type, x)) return `${at}: not ${s.type}`;
    if ('const' in s && s.const !== x) return `${at}: not ${JSON.stringify(s.const)}`;
    if (Array.isArray(s.enum) && !s.enum.includes(x)) return `${at}: not one of ${JSON.stringify(s.enum)}`;
    if (Array.isArray(s.anyOf) && (s.anyOf as Schema[]).every((o) => visit(o, x, at) !== undefined)) return `${at}: matches no anyOf option`;
    if (typeof s.minimum === 'number' && typeof x === 'number' && x < s.minimum) return `${at}: below ${s.minimum}`;
    if (typeof s.maxLength === 'number' && typeof x === 'string' && x.length > s.maxLength) return `${at}: longer than ${s.maxLength}`;
    if (typeOk('object', x)) {
      const o = x as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) return `${at}.${r}: missing`;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const [k, v] of Object.entries(o)) {
        const sub = props[k] ?? (typeof s.additionalProperties === 'object' ? (s.additionalProperties as Schema) : undefined);
        if (s.additionalProperties === false && !(k in props)) return `${at}.${k}: not allowed`;
        if (s.propertyNames) {
          const e = visit(s.propertyNames as Schema, k, `${at}{${k}}`);
          if (e) return e;
        }
        if (sub && v !== undefined) {
          const e = visit(sub, v, `${at}.${k}`);
          if (e) return e;
        }
      }
    }
    if (Array.isArray(x)) {
      if (typeof s.minItems === 'number' && x.length < s.minItems) return `${at}: fewer than ${s.minItems} items`;
      if (typeof s.maxItems === 'number' && x.length > s.maxItems) return `${at}: more than ${s.maxItems} items`;
      const tuple = Array.isArray(s.items) ? (s.items as Schema[]) : undefined;
      if (tuple && s.additionalItems === false && x.length > tuple.length) return `${at}: more than ${tuple.length} items`;
      for (let i = 0; i < x.length; i++) {
        const sub = tuple ? tuple[i] : (s.items as Schema | undefined);
        if (sub) {
          const e = visit(sub, x[i], `${at}[${i}]`);
          if (e) return e;
        }
      }
    }
    return undefined;
  };
  return visit(root, x, '$');
}

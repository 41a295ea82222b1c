/**
 * Runtime checks of data that crosses a boundary (files, IPC, postMessage), with valibot: each shape is one
 * valibot schema and its TypeScript type is inferred from it (`v.InferOutput`). This module holds the small
 * schemas the others share and turns valibot's first issue into a message that names the field.
 *
 * Messages: a schema may give its own message as the tail of a sentence about the field ('is not a positive
 * integer'); otherwise the tail says what was expected and what came ('is not a list (got "x")', 'is missing').
 * The caller puts the subject (the file, the message) in front.
 */
import * as v from 'valibot';

/** A finite number (JSON never holds NaN or Infinity, but a structured-clone message can). */
export const num = v.pipe(v.number(), v.finite('is not a finite number'));
export const int = v.pipe(v.number(), v.integer('is not an integer'));
/** An integer >= 0 (a position, a channel, an id). */
export const index = v.pipe(v.number(), v.integer('is not an integer'), v.minValue(0, 'is negative'));
/** An integer >= 1. */
export const count = v.pipe(v.number(), v.integer('is not an integer'), v.minValue(1, 'is less than 1'));
/** [x0, y0, x1, y1] in model-input pixels (x1/y1 exclusive). */
export const box = v.strictTuple([num, num, num, num], 'is not a box [x0, y0, x1, y1]');
export type Box = v.InferOutput<typeof box>;

/** A JSON object (valibot's object() and record() take a list too). */
const jsonObject = v.custom<Record<string, unknown>>(
  (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
  (i) => `is not an object (got ${shown(i.input)})`,
);

/**
 * A JSON object of `value`s by name. (scripts/make-schemas.mjs converts the output side of the pipe, the record:
 * JSON Schema's type "object" never takes a list.)
 */
export function dict<S extends v.GenericSchema>(value: S) {
  return v.pipe(jsonObject, v.record(v.string(), value));
}

type Issue = v.BaseIssue<unknown>;

const NOUNS: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean',
  Array: 'a list',
  Object: 'an object',
};

function shown(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}

/** The default tail of a message about a field (used where a schema gives none). */
function defaultTail(issue: Issue): string {
  if (issue.input === undefined) return 'is missing';
  if (issue.kind === 'schema') {
    const expected = issue.expected ?? '';
    return `is not ${NOUNS[expected] ?? expected} (got ${shown(issue.input)})`;
  }
  return `is ${shown(issue.input)}, expected ${issue.expected}`;
}

/** `layers[2].neurons[0].channel` from an issue's path ('' at the root). */
export function issuePath(issue: Issue): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = item.key;
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** One sentence about an issue: `field "a.b[1]" is not a number (got "x")`, or the tail alone at the root. */
export function describeIssue(issue: Issue): string {
  const path = issuePath(issue);
  return path ? `field "${path}" ${issue.message}` : issue.message;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Checks `value` against `schema`: the value itself, typed, when it conforms (not valibot's copy: nothing is
 * rebuilt, unknown keys stay), else the first issue as a sentence.
 */
export function check<S extends v.GenericSchema>(schema: S, value: unknown): Checked<v.InferOutput<S>> {
  const r = v.safeParse(schema, value, { abortEarly: true, message: defaultTail });
  return r.success ? { ok: true, value: value as v.InferOutput<S> } : { ok: false, error: describeIssue(r.issues[0]) };
}

/** Whether `value` conforms to `schema` (a type guard for the boundaries that drop what does not). */
export function conforms<S extends v.GenericSchema>(schema: S, value: unknown): value is v.InferOutput<S> {
  return v.safeParse(schema, value, { abortEarly: true }).success;
}

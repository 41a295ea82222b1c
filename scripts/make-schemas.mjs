#!/usr/bin/env node
// Publishes the result document's JSON Schema, generated from its valibot schema (src/engine/result/schema.ts)
// with @valibot/to-json-schema: schemas/neurflow-result.schema.json, which package.json registers with
// `contributes.jsonValidation` so VS Code checks `*.neurflow-result.json` files as they are edited.
// test/unit/result/json-schema.test.ts fails when the file differs from what this script writes, and checks the
// JSON Schema against the valibot schema on real and broken documents.
//
// Usage: npm run gen:schemas   (node --import tsx scripts/make-schemas.mjs [--out <file>])
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toJsonSchema } from '@valibot/to-json-schema';
import {
  AnalysisParamsSchema,
  CircuitSchema,
  FidelityRowSchema,
  GroupingSchema,
  LayerSchema,
  NeuronSchema,
  RESULT_VERSION,
  ResultDocumentSchema,
  SubconceptSchema,
} from '../src/engine/result/schema.ts';

const root = new URL('..', import.meta.url).pathname;
export const RESULT_SCHEMA_FILE = join(root, 'schemas/neurflow-result.schema.json');

/** The JSON Schema (draft-07) of the result document, as the text written to RESULT_SCHEMA_FILE. */
export function resultJsonSchemaText() {
  const schema = toJsonSchema(ResultDocumentSchema, {
    target: 'draft-07',
    definitions: {
      AnalysisParams: AnalysisParamsSchema,
      Layer: LayerSchema,
      Neuron: NeuronSchema,
      Subconcept: SubconceptSchema,
      Grouping: GroupingSchema,
      Circuit: CircuitSchema,
      FidelityRow: FidelityRowSchema,
    },
    // A pipe of schemas (dict(): a JSON object, then a record) is described by its last schema.
    typeMode: 'output',
    // JSON has no NaN or Infinity: a JSON number is always finite.
    overrideAction: ({ valibotAction, jsonSchema }) => (valibotAction.type === 'finite' ? jsonSchema : undefined),
  });
  const published = {
    $schema: schema.$schema,
    $id: 'https://github.com/neurflow/neurflow-vscode/schemas/neurflow-result.schema.json',
    title: 'NeurFlow result document',
    description:
      `One class analysis of an ONNX model by NeurFlow (format "neurflow.result", version ${RESULT_VERSION}). ` +
      'Generated from src/engine/result/schema.ts by scripts/make-schemas.mjs; do not edit.',
    ...schema,
  };
  return `${JSON.stringify(published, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? process.argv[i + 1] : RESULT_SCHEMA_FILE;
  writeFileSync(out, resultJsonSchemaText());
  console.log(`make-schemas: ${out}`);
}

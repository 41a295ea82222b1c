/** Types of scripts/make-schemas.mjs for the tests that import it. */
export declare const RESULT_SCHEMA_FILE: string;
export declare function resultJsonSchemaText(): string;

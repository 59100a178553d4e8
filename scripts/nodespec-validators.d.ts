/** Types of scripts/nodespec-validators.js, for the test that keeps its output committed. */
export declare const SCHEMA_FILE: string;
export declare const GENERATED_FILE: string;
/** The generated module's text, from the schema's text (default: the schema file). */
export declare function generateValidators(schemaText?: string): string;

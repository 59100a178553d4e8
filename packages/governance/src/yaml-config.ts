/**
 * What every YAML configuration file of the governance tools goes through: read it, parse it
 * (YAML 1.2 core schema, so JSON works too), check it against its JSON Schema, and say which
 * file and which path is wrong. The callers turn the document into their own types.
 */
import { readFile } from 'node:fs/promises';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';

export type ConfigText =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

export type ConfigDocument<T> =
  { readonly ok: true; readonly document: T } | { readonly ok: false; readonly message: string };

export async function readConfigFile(file: string): Promise<ConfigText> {
  try {
    return { ok: true, text: await readFile(file, 'utf8') };
  } catch (error) {
    return { ok: false, message: `${file}: ${(error as Error).message}` };
  }
}

export interface ParseConfigOptions {
  /** The value of an empty file; by default an empty file is `null` and fails the schema. */
  readonly empty?: unknown;
  /** How the file's format is named in a parse error. Default `YAML`. */
  readonly format?: string;
  /** Extra advice for one schema error, appended to its message. */
  readonly advice?: (error: ErrorObject) => string;
}

export function parseConfigYaml<T>(
  text: string,
  file: string,
  validate: ValidateFunction<T>,
  options: ParseConfigOptions = {},
): ConfigDocument<T> {
  let document: unknown;
  try {
    document = parseYaml(text) ?? options.empty ?? null;
  } catch (error) {
    return {
      ok: false,
      message: `${file}: not valid ${options.format ?? 'YAML'}: ${(error as Error).message}`,
    };
  }
  if (!validate(document)) {
    const details = (validate.errors ?? [])
      .map(
        (e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${options.advice?.(e) ?? ''}`,
      )
      .join('; ');
    return { ok: false, message: `${file}: ${details}` };
  }
  return { ok: true, document };
}

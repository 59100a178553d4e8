/**
 * Expands `<file|dir|glob|->` arguments into the files to read. A directory means every `*.json`
 * directly in it; a glob is expanded here (so quoted globs work in CI scripts). An argument that
 * matches nothing is an error, never a silent pass.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseWitnessPolicy, type WitnessPolicy } from '../log/cosignature.js';
import { parseJson } from '../json/parse.js';
import { UsageError } from './exit-codes.js';
import type { CliIo } from './io.js';
import { parsePolicy, type EntitlementPolicy } from '../registry/policy.js';

export type Input =
  | { readonly kind: 'file'; readonly name: string; readonly path: string }
  | { readonly kind: 'stdin'; readonly name: '<stdin>' };

export interface ExpandedInputs {
  readonly inputs: readonly Input[];
  /** One message per argument that could not be expanded. */
  readonly errors: readonly string[];
}

export async function expandInputs(args: readonly string[], cwd: string): Promise<ExpandedInputs> {
  const inputs: Input[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const add = (name: string): void => {
    const absolute = path.resolve(cwd, name);
    if (seen.has(absolute)) return;
    seen.add(absolute);
    inputs.push({ kind: 'file', name, path: absolute });
  };
  let stdinUsed = false;
  for (const arg of args) {
    if (arg === '-') {
      if (stdinUsed) errors.push('standard input ("-") can be given only once');
      else inputs.push({ kind: 'stdin', name: '<stdin>' });
      stdinUsed = true;
      continue;
    }
    const info = await stat(path.resolve(cwd, arg)).catch(() => undefined);
    if (info?.isDirectory()) {
      const names = (await readdir(path.resolve(cwd, arg)))
        .filter((n) => n.endsWith('.json'))
        .sort();
      if (names.length === 0) errors.push(`${arg}: directory contains no *.json files`);
      for (const name of names) add(path.join(arg, name));
    } else if (info) {
      add(arg);
    } else {
      // Loaded only for an argument that names no file: a plain file path starts faster.
      const { glob, isDynamicPattern } = await import('tinyglobby');
      if (isDynamicPattern(arg)) {
        const matches = (
          await glob(arg, { cwd, onlyFiles: true, expandDirectories: false })
        ).sort();
        if (matches.length === 0) errors.push(`${arg}: pattern matches no files`);
        for (const match of matches) add(match);
      } else {
        errors.push(`${arg}: no such file or directory`);
      }
    }
  }
  return { inputs, errors };
}

export type ReadResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly tooLarge: number }
  | { readonly ok: false; readonly error: string };

/** Reads an input, refusing (without reading) a file larger than `maxBytes`. */
export async function readInput(input: Input, maxBytes: number, io: CliIo): Promise<ReadResult> {
  try {
    if (input.kind === 'stdin') {
      const bytes = await io.readStdin(maxBytes);
      return bytes.length > maxBytes ? { ok: false, tooLarge: bytes.length } : { ok: true, bytes };
    }
    const info = await stat(input.path);
    if (info.size > maxBytes) return { ok: false, tooLarge: info.size };
    return { ok: true, bytes: new Uint8Array(await readFile(input.path)) };
  } catch (error) {
    return { ok: false, error: `${input.name}: ${(error as Error).message}` };
  }
}

/** Most bytes a JSON document file given to a command may have (keys, envelopes, trust roots). */
export const MAX_JSON_FILE_BYTES = 1024 * 1024;

/**
 * Reads a JSON document file with the strict parser (duplicate member names refused). Unreadable,
 * too large or not JSON is a usage error naming the file and, for bad JSON, the line and column.
 */
export async function readJsonFile(io: CliIo, file: string): Promise<unknown> {
  const read = await readInput(
    { kind: 'file', name: file, path: path.resolve(io.cwd, file) },
    MAX_JSON_FILE_BYTES,
    io,
  );
  if (!read.ok)
    throw new UsageError(
      'error' in read ? read.error : `${file}: larger than ${MAX_JSON_FILE_BYTES} bytes`,
    );
  const parsed = parseJson(read.bytes, { maxBytes: MAX_JSON_FILE_BYTES });
  if (!parsed.ok)
    throw new UsageError(
      `${file}:${parsed.error.line}:${parsed.error.column}: ${parsed.error.message}`,
    );
  return parsed.value;
}

/** Reads an entitlement policy file (`serve --policy`, `fsck --policy`); errors name the field. */
export async function readPolicyFile(io: CliIo, file: string): Promise<EntitlementPolicy> {
  const value = await readJsonFile(io, file);
  try {
    return parsePolicy(value);
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
}

/**
 * A witness policy file (log/cosignature.ts `parseWitnessPolicy`); `withUrls` when each witness
 * must say where it is asked to cosign (the log's side). Usage error naming the file otherwise.
 */
export async function readWitnessPolicyFile(
  io: CliIo,
  file: string,
  withUrls = false,
): Promise<WitnessPolicy> {
  const value = await readJsonFile(io, file);
  let policy: WitnessPolicy;
  try {
    policy = parseWitnessPolicy(value);
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  const missing = policy.witnesses.findIndex((witness) => witness.url === undefined);
  if (withUrls && missing >= 0)
    throw new UsageError(`${file}: witnesses[${missing}] has no "url" to ask it to cosign at`);
  return policy;
}

/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters -- typed views of fixture JSON */
/**
 * Reads the known-answer vectors in test/fixtures/vectors/ (gzipped copies of the upstream
 * files) and checks each against the upstream SHA-256 in its folder's SHA256SUMS first, so a
 * corrupted or edited fixture fails loudly instead of silently testing less.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { hexToBytes } from '@noble/hashes/utils.js';

export const VECTORS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'vectors',
);

/** Bytes of `relative` (an upstream file name), checked against SHA256SUMS. */
export function readVector(relative: string): Buffer {
  const [folder, ...rest] = relative.split('/');
  if (folder === undefined) throw new Error(`bad vector path ${relative}`);
  const name = rest.join('/');
  const sums = readFileSync(path.join(VECTORS, folder, 'SHA256SUMS'), 'utf8');
  const expected = new Map(
    sums
      .trim()
      .split('\n')
      .map((line) => {
        const [digest, file] = line.split(/\s+/);
        return [file, digest] as const;
      }),
  );
  const file = path.join(VECTORS, relative);
  let bytes: Buffer;
  let checked: Buffer;
  if (relative.endsWith('.gz')) {
    checked = readFileSync(file);
    bytes = gunzipSync(checked);
  } else if (existsSync(`${file}.gz`)) {
    bytes = gunzipSync(readFileSync(`${file}.gz`));
    checked = bytes;
  } else {
    bytes = readFileSync(file);
    checked = bytes;
  }
  const digest = createHash('sha256').update(checked).digest('hex');
  if (expected.get(name) !== digest)
    throw new Error(
      `${relative}: SHA-256 ${digest} does not match SHA256SUMS (${String(expected.get(name))})`,
    );
  return bytes;
}

export function readVectorJson<T>(relative: string): T {
  return JSON.parse(readVector(relative).toString('utf8')) as T;
}

export const hex = (text: string): Uint8Array => hexToBytes(text.toLowerCase());

/** Joins an ACVP prompt with its expected results on (tgId, tcId). */
export function acvpCases<G extends object, T extends object, R extends object>(
  set: string,
  gz = false,
): { group: G; test: T; expected: R }[] {
  const suffix = gz ? '.gz' : '';
  const prompt = readVectorJson<{
    testGroups: (G & { tgId: number; tests: (T & { tcId: number | string })[] })[];
  }>(`acvp/${set}/prompt.json${suffix}`);
  const results = readVectorJson<{
    testGroups: { tgId: number; tests: (R & { tcId: number | string })[] }[];
  }>(`acvp/${set}/expectedResults.json${suffix}`);
  const byId = new Map<string, R>();
  for (const group of results.testGroups)
    for (const test of group.tests) byId.set(`${group.tgId}/${String(test.tcId)}`, test);
  return prompt.testGroups.flatMap((group) =>
    group.tests.map((test) => {
      const expected = byId.get(`${group.tgId}/${String(test.tcId)}`);
      if (!expected)
        throw new Error(`${set}: no expected result for ${group.tgId}/${String(test.tcId)}`);
      return { group, test, expected };
    }),
  );
}

/** Falcon round-3 .rsp entries: count, seed, mlen, msg, pk, sk, smlen, sm. */
export function falconKat(file: string): Record<string, string>[] {
  return readVector(`falcon/${file}`)
    .toString('utf8')
    .split(/\n\s*\n/)
    .filter((block) => block.includes('count = '))
    .map((block) =>
      Object.fromEntries(
        block
          .trim()
          .split('\n')
          .filter((line) => line.includes(' = '))
          .map((line) => line.split(' = ') as [string, string]),
      ),
    );
}

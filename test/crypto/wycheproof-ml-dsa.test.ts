/** Wycheproof ML-DSA verify vectors (C2SP), all of them, on both backends. */
import { beforeAll, describe, expect, it } from 'vitest';
import { liboqsSuite } from '../../src/crypto/backends/liboqs.js';
import { nobleSuite } from '../../src/crypto/backends/noble.js';
import type { SignatureSuite } from '../../src/crypto/suite.js';
import { hex, readVectorJson } from './vectors.js';

interface WycheproofFile {
  numberOfTests: number;
  testGroups: {
    publicKey: string;
    tests: {
      tcId: number;
      msg: string;
      sig: string;
      ctx?: string;
      result: string;
      flags: string[];
    }[];
  }[];
}

const SETS = [
  ['ml-dsa-44', 'mldsa_44_verify_test.json', 180],
  ['ml-dsa-65', 'mldsa_65_verify_test.json', 210],
  ['ml-dsa-87', 'mldsa_87_verify_test.json', 241],
] as const;

const liboqs: Record<string, SignatureSuite> = {};
beforeAll(async () => {
  for (const [id] of SETS) liboqs[id] = await liboqsSuite(id);
});

describe.each(SETS)('Wycheproof %s verify', (id, file, total) => {
  const vectors = readVectorJson<WycheproofFile>(`wycheproof/${file}`);

  it.each(['noble', 'liboqs'])(`all ${total} tests give the expected verdict on %s`, (backend) => {
    const suite = backend === 'noble' ? nobleSuite(id) : liboqs[id];
    let valid = 0;
    let invalid = 0;
    for (const group of vectors.testGroups)
      for (const test of group.tests) {
        const verdict = suite?.verify(hex(test.sig), hex(test.msg), hex(group.publicKey), {
          context: hex(test.ctx ?? ''),
        });
        expect(verdict, `tcId ${test.tcId} (${test.flags.join(', ')})`).toBe(
          test.result === 'valid',
        );
        if (verdict) valid++;
        else invalid++;
      }
    expect(valid + invalid).toBe(total);
    expect(String(vectors.numberOfTests)).toBe(String(total));
    console.log(
      `Wycheproof ${id}/${backend}: ${total} passed (${valid} valid, ${invalid} invalid), 0 skipped`,
    );
  });
});

import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { KEY_ALGORITHMS } from '../../src/crypto/algorithms.js';
import { pae } from '../../src/crypto/dsse.js';
import { captureIo } from '../support/cli.js';

const ENV = { MATRIZ_KEY_PASSPHRASE: 'a long test passphrase' };
let cwd: string;

async function run(args: string[], env: Record<string, string> = ENV, stdin?: string) {
  const io = captureIo({ cwd, env, ...(stdin === undefined ? {} : { stdin }) });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'matriz-cli-crypto-'));
  await writeFile(path.join(cwd, 'payload.json'), '{"hello":"registry"}\n');
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('matriz keys / sign / verify-envelope', () => {
  it('generates an encrypted ML-DSA-44 key with mode 0600 and shows it', async () => {
    const generated = await run([
      'keys',
      'generate',
      '--alg',
      'ml-dsa-44',
      '--out',
      'signer.key',
      '--scrypt-log-n',
      '10',
    ]);
    expect(generated.code).toBe(0);
    expect(generated.out).toMatch(
      /wrote signer.key \(mode 0600\)\nalg {7}ml-dsa-44\nkeyid {5}[0-9a-f]{64}\n/,
    );
    expect((await stat(path.join(cwd, 'signer.key'))).mode & 0o777).toBe(0o600);
    const text = await readFile(path.join(cwd, 'signer.key'), 'utf8');
    expect(text).toContain('"format": "matriz-secret-key/v1"');
    expect(text).not.toContain(ENV.MATRIZ_KEY_PASSPHRASE);

    const shown = await run(['keys', 'show', 'signer.key']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/alg {9}ml-dsa-44\nkeyid {7}([0-9a-f]{64})\nowner_id {4}GLYMPH:\1\n/);
    expect(shown.out).toContain('aes-256-gcm, scrypt N=2^10 r=8 p=1');
    const json = await run(['keys', 'show', '--json', 'signer.key']);
    expect(JSON.parse(json.out)).toMatchObject({ alg: 'ml-dsa-44' });
  });

  it('refuses to overwrite a key file, an unknown algorithm and a missing passphrase', async () => {
    const again = await run(['keys', 'generate', '--alg', 'ed25519', '--out', 'signer.key']);
    expect(again.code).toBe(2);
    expect(again.err).toContain('signer.key already exists');
    const unknown = await run(['keys', 'generate', '--alg', 'rsa', '--out', 'x.key']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown algorithm "rsa"');
    const noPassphrase = await run(['keys', 'generate', '--alg', 'ed25519', '--out', 'x.key'], {});
    expect(noPassphrase.code).toBe(2);
    expect(noPassphrase.err).toContain('set the environment variable MATRIZ_OWNER_PASSPHRASE');
    const noDirectory = await run([
      'keys',
      'generate',
      '--alg',
      'ed25519',
      '--out',
      'missing/dir/x.key',
      '--scrypt-log-n',
      '10',
    ]);
    expect(noDirectory.code).toBe(2);
    expect(noDirectory.err).toContain('missing/dir/x.key: cannot write the key file');
    const badCost = await run([
      'keys',
      'generate',
      '--alg',
      'ed25519',
      '--out',
      'x.key',
      '--scrypt-log-n',
      '40',
    ]);
    expect(badCost.code).toBe(2);
  });

  it('reads the passphrase from the variable named by --passphrase-env', async () => {
    const result = await run(
      [
        'keys',
        'generate',
        '--alg',
        'dilithium2',
        '--out',
        'legacy.key',
        '--scrypt-log-n',
        '10',
        '--passphrase-env',
        'MY_PASS',
      ],
      { MY_PASS: 'another long passphrase' },
    );
    expect(result.code).toBe(0);
    expect(result.err).toContain('"dilithium2" is deprecated');
    expect(result.out).toContain('ml-dsa-44');
    const sign = await run(
      [
        'sign',
        '--key',
        'legacy.key',
        '--in',
        'payload.json',
        '--out',
        '-',
        '--passphrase-env',
        'MY_PASS',
      ],
      {
        MY_PASS: 'wrong passphrase!',
      },
    );
    expect(sign.code).toBe(2);
    expect(sign.err).toMatch(/legacy.key: wrong passphrase/);
  });

  it('signs a DSSE envelope that verifies, and that an independent FIPS 204 verifier accepts', async () => {
    const exported = await run(['keys', 'export-public', 'signer.key']);
    expect(exported.code).toBe(0);
    const publicJson = JSON.parse(exported.out) as {
      public_key: string;
      keyid: string;
      owner_id: string;
    };
    expect(publicJson.owner_id).toBe(`GLYMPH:${publicJson.keyid}`);
    await writeFile(path.join(cwd, 'signer.pub.json'), exported.out);

    const signed = await run([
      'sign',
      '--key',
      'signer.key',
      '--in',
      'payload.json',
      '--payload-type',
      'application/vnd.matriz.nodespec.v1+json',
      '--out',
      'envelope.json',
    ]);
    expect(signed.code).toBe(0);
    expect(signed.err).toContain(`keyid ${publicJson.keyid}`);
    const envelope = JSON.parse(await readFile(path.join(cwd, 'envelope.json'), 'utf8')) as {
      payload: string;
      payloadType: string;
      signatures: { keyid: string; sig: string }[];
    };
    expect(envelope.signatures).toHaveLength(1);

    // Plain FIPS 204 ML-DSA.Verify (noble called directly, empty context) over the PAE bytes.
    const message = pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
    const signature = Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64');
    const publicKey = Buffer.from(publicJson.public_key, 'base64');
    expect(ml_dsa44.verify(signature, message, publicKey)).toBe(true);

    const verified = await run([
      'verify-envelope',
      '--pub',
      'signer.pub.json',
      '--in',
      'envelope.json',
    ]);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain('VALID envelope.json: 1 of 1 required trusted signature(s)');
    const asJson = await run([
      'verify-envelope',
      '--pub',
      'signer.pub.json',
      '--in',
      'envelope.json',
      '--json',
    ]);
    expect(JSON.parse(asJson.out)).toMatchObject({
      valid: true,
      verifiedKeyIds: [publicJson.keyid],
    });
  });

  it('exits 1 for a tampered or malformed envelope, 2 for usage errors', async () => {
    const envelope = JSON.parse(await readFile(path.join(cwd, 'envelope.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(
      path.join(cwd, 'tampered.json'),
      JSON.stringify({
        ...envelope,
        payload: Buffer.from('{"hello":"attacker"}').toString('base64'),
      }),
    );
    const tampered = await run([
      'verify-envelope',
      '--pub',
      'signer.pub.json',
      '--in',
      'tampered.json',
    ]);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toMatch(/^INVALID tampered.json: 0 of 1/);
    expect(tampered.out).toContain('FAILED');

    await writeFile(path.join(cwd, 'garbage.json'), '{"payload": 1}');
    const garbage = await run([
      'verify-envelope',
      '--pub',
      'signer.pub.json',
      '--in',
      'garbage.json',
    ]);
    expect(garbage.code).toBe(1);
    expect(garbage.out).toContain('not a DSSE envelope');
    await writeFile(path.join(cwd, 'notjson.json'), '{');
    expect(
      (await run(['verify-envelope', '--pub', 'signer.pub.json', '--in', 'notjson.json', '--json']))
        .code,
    ).toBe(1);

    const threshold = await run([
      'verify-envelope',
      '--pub',
      'signer.pub.json',
      '--in',
      'envelope.json',
      '--threshold',
      '2',
    ]);
    expect(threshold.code).toBe(2);
    expect(threshold.err).toContain('--threshold 2 exceeds the 1 distinct trusted key(s)');
    const missing = await run(['verify-envelope', '--pub', 'nope.json', '--in', 'envelope.json']);
    expect(missing.code).toBe(2);
    await writeFile(path.join(cwd, 'bad.pub.json'), '{"alg":"ed25519","public_key":"AAAA"}');
    const badKey = await run(['verify-envelope', '--pub', 'bad.pub.json', '--in', 'envelope.json']);
    expect(badKey.code).toBe(2);
    expect(badKey.err).toContain('must be 32 bytes');
    const backend = await run(
      ['verify-envelope', '--pub', 'signer.pub.json', '--in', 'envelope.json'],
      { MATRIZ_CRYPTO_BACKEND: 'fast' },
    );
    expect(backend.code).toBe(2);
    expect(backend.err).toContain('MATRIZ_CRYPTO_BACKEND must be auto, liboqs, noble or node');
  });

  it('signs with a hybrid key and several keys; threshold counts distinct keys', async () => {
    expect(
      (
        await run([
          'keys',
          'generate',
          '--alg',
          'hybrid-ml-dsa-44-ed25519',
          '--out',
          'hybrid.key',
          '--scrypt-log-n',
          '10',
        ])
      ).code,
    ).toBe(0);
    await writeFile(
      path.join(cwd, 'hybrid.pub.json'),
      (await run(['keys', 'export-public', 'hybrid.key'])).out,
    );
    const signed = await run(
      ['sign', '--key', 'signer.key', 'hybrid.key', '--in', '-', '--out', '-'],
      { ...ENV, MATRIZ_CRYPTO_BACKEND: 'noble' },
      'from stdin',
    );
    expect(signed.code).toBe(0);
    await writeFile(path.join(cwd, 'two.json'), signed.out);
    const both = await run([
      'verify-envelope',
      '--pub',
      'signer.pub.json',
      'hybrid.pub.json',
      '--in',
      'two.json',
      '--threshold',
      '2',
    ]);
    expect(both.code).toBe(0);
    // Strip the Ed25519 half of the hybrid signature: the hybrid key no longer counts.
    const envelope = JSON.parse(signed.out) as { signatures: { keyid: string; sig: string }[] };
    const hybrid = envelope.signatures[1];
    if (!hybrid) throw new Error('expected two signatures');
    hybrid.sig = Buffer.from(hybrid.sig, 'base64').subarray(0, 2420).toString('base64');
    await writeFile(path.join(cwd, 'stripped.json'), JSON.stringify(envelope));
    const stripped = await run([
      'verify-envelope',
      '--pub',
      'signer.pub.json',
      'hybrid.pub.json',
      '--in',
      'stripped.json',
      '--threshold',
      '2',
    ]);
    expect(stripped.code).toBe(1);
  });

  it.each(KEY_ALGORITHMS)('%s: generate, export, sign and verify round trip', async (alg) => {
    const key = `all-${alg}.key`;
    expect(
      (await run(['keys', 'generate', '--alg', alg, '--out', key, '--scrypt-log-n', '10'])).code,
    ).toBe(0);
    const exported = await run(['keys', 'export-public', key]);
    expect(JSON.parse(exported.out)).toMatchObject({ alg });
    await writeFile(path.join(cwd, `${key}.pub`), exported.out);
    const signed = await run([
      'sign',
      '--key',
      key,
      '--in',
      'payload.json',
      '--out',
      `${key}.dsse`,
    ]);
    expect(signed.code).toBe(0);
    expect(
      (await run(['verify-envelope', '--pub', `${key}.pub`, '--in', `${key}.dsse`])).code,
    ).toBe(0);
    expect(
      (await run(['verify-envelope', '--pub', 'signer.pub.json', '--in', `${key}.dsse`])).code,
    ).toBe(1);
  });

  it('refuses a key file others can read, and a missing payload', async () => {
    await chmod(path.join(cwd, 'signer.key'), 0o644);
    const open = await run(['sign', '--key', 'signer.key', '--in', 'payload.json', '--out', '-']);
    expect(open.code).toBe(2);
    expect(open.err).toContain('accessible by group or others (mode 644)');
    expect((await run(['keys', 'show', 'signer.key'])).code).toBe(2);
    await chmod(path.join(cwd, 'signer.key'), 0o600);
    const missing = await run(['sign', '--key', 'signer.key', '--in', 'nope.bin', '--out', '-']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.bin: cannot read the payload');
  });
});

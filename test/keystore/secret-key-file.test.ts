import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { openSecretKey, readSecretKeyFile } from '../../src/keystore/key-file.js';
import { passphraseToCreate, passphraseToOpen } from '../../src/keystore/passphrase.js';
import {
  decryptSecretKey,
  encryptSecretKey,
  type SecretKeyFile,
} from '../../src/keystore/secret-key-file.js';

/** Cheap scrypt for tests (the default costs ~0.5 s and 128 MiB per open). */
const FAST = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'correct horse battery staple';
let directory: string;
let contents: SecretKeyFile;
let publicKey: Uint8Array;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'matriz-keystore-'));
  const suite = await loadSignatureSuite('ml-dsa-44');
  const pair = suite.generateKeyPair();
  publicKey = pair.publicKey;
  contents = await encryptSecretKey(
    { algorithm: 'ml-dsa-44', publicKey: pair.publicKey, seed: pair.seed },
    PASSPHRASE,
    FAST,
  );
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function write(name: string, value: unknown, mode = 0o600): Promise<string> {
  const file = path.join(directory, name);
  await writeFile(file, JSON.stringify(value), { mode });
  await chmod(file, mode);
  return file;
}

describe('encrypted secret key files', () => {
  it('store only the encrypted seed, with the scrypt parameters in the file', async () => {
    expect(contents).toMatchObject({
      format: 'matriz-secret-key/v1',
      alg: 'ml-dsa-44',
      kdf: { name: 'scrypt', N: 1024, r: 8, p: 1 },
      cipher: { name: 'aes-256-gcm' },
    });
    // 32-byte seed + 16-byte GCM tag.
    expect(Buffer.from(contents.ciphertext, 'base64')).toHaveLength(48);
    const decrypted = await decryptSecretKey(contents, PASSPHRASE, 'k.json');
    expect(decrypted.seed).toHaveLength(32);
    expect(decrypted.publicKey).toEqual(publicKey);
  });

  it('opens with the right passphrase and rebuilds the key pair', async () => {
    const file = await write('good.json', contents);
    const opened = await openSecretKey(file, PASSPHRASE);
    expect(opened.key.keyid).toBe(contents.keyid);
    expect(opened.key.publicKey).toEqual(publicKey);
    const message = new TextEncoder().encode('m');
    expect(
      opened.suite.verify(opened.suite.sign(message, opened.secretKey), message, publicKey),
    ).toBe(true);
  });

  it('refuses a wrong passphrase, naming the file', async () => {
    const file = await write('wrong.json', contents);
    await expect(openSecretKey(file, 'not the passphrase')).rejects.toMatchObject({
      code: 'wrong-passphrase',
      message: expect.stringContaining(`${file}: wrong passphrase`) as string,
    });
  });

  it.each([
    ['the ciphertext', (c: SecretKeyFile) => ({ ...c, ciphertext: flip(c.ciphertext) })],
    ['the algorithm', (c: SecretKeyFile) => ({ ...c, alg: 'ml-dsa-65' })],
    [
      'the nonce',
      (c: SecretKeyFile) => ({ ...c, cipher: { ...c.cipher, nonce: flip(c.cipher.nonce) } }),
    ],
    ['the public key and keyid', (c: SecretKeyFile) => swapPublicKey(c)],
  ])('refuses a file whose %s was modified', async (_what, tamper) => {
    const file = await write('tampered.json', tamper(contents));
    await expect(openSecretKey(file, PASSPHRASE)).rejects.toMatchObject({ code: 'tampered' });
  });

  it('refuses an authentic file whose seed does not produce its public key', async () => {
    const other = (await loadSignatureSuite('ml-dsa-44')).generateKeyPair();
    const mismatched = await encryptSecretKey(
      { algorithm: 'ml-dsa-44', publicKey: other.publicKey, seed: new Uint8Array(32) },
      PASSPHRASE,
      FAST,
    );
    const file = await write('mismatch.json', mismatched);
    await expect(openSecretKey(file, PASSPHRASE)).rejects.toThrow(
      /seed does not produce the stored public key/,
    );
  });

  it('refuses a file readable by group or others, before reading it', async () => {
    for (const mode of [0o640, 0o604, 0o644, 0o660]) {
      const file = await write(`mode-${mode.toString(8)}.json`, contents, mode);
      await expect(openSecretKey(file, PASSPHRASE)).rejects.toMatchObject({
        code: 'insecure-permissions',
        message: expect.stringContaining(`chmod 600 ${file}`) as string,
      });
    }
  });

  it('refuses files that are not secret key files, or ask for unbounded work', async () => {
    const cases: [string, unknown][] = [
      ['not-object.json', []],
      ['format.json', { ...contents, format: 'x' }],
      ['alg.json', { ...contents, alg: 'rsa' }],
      ['keyid.json', { ...contents, keyid: 1 }],
      ['kdf.json', { ...contents, kdf: { name: 'pbkdf2' } }],
      ['huge-n.json', { ...contents, kdf: { ...contents.kdf, N: 2 ** 30 } }],
      ['odd-n.json', { ...contents, kdf: { ...contents.kdf, N: 1000 } }],
      ['cipher.json', { ...contents, cipher: { name: 'aes-128-cbc' } }],
      ['base64.json', { ...contents, ciphertext: '!!' }],
      ['short.json', { ...contents, ciphertext: 'AAAA' }],
    ];
    for (const [name, value] of cases) {
      const file = await write(name, value);
      await expect(openSecretKey(file, PASSPHRASE), name).rejects.toMatchObject({
        code: 'malformed',
      });
    }
    const text = path.join(directory, 'text.json');
    await writeFile(text, '{"a": 1, "a": 2}', { mode: 0o600 });
    await expect(readSecretKeyFile(text)).rejects.toThrow(/text.json:1:\d+: not a secret key file/);
    await expect(readSecretKeyFile(path.join(directory, 'missing.json'))).rejects.toMatchObject({
      code: 'io',
    });
  });

  it('never writes the seed or passphrase in the clear', async () => {
    const file = await write('clear.json', contents);
    const text = await readFile(file, 'utf8');
    const decrypted = await decryptSecretKey(contents, PASSPHRASE, file);
    expect(text).not.toContain(Buffer.from(decrypted.seed).toString('base64'));
    expect(text).not.toContain(Buffer.from(decrypted.seed).toString('hex'));
    expect(text).not.toContain(PASSPHRASE);
  });
});

describe('passphrases', () => {
  const source = (env: Record<string, string>, answers?: string[]) => ({
    env,
    envName: 'MATRIZ_KEY_PASSPHRASE',
    prompt: answers ? () => Promise.resolve(answers.shift() ?? '') : undefined,
  });

  it('come from the named environment variable first', async () => {
    expect(await passphraseToOpen(source({ MATRIZ_KEY_PASSPHRASE: 'x' }, ['y']), 'k')).toBe('x');
    expect(await passphraseToOpen(source({}, ['typed']), 'k')).toBe('typed');
  });

  it('are refused when neither the variable nor a terminal is there', async () => {
    await expect(passphraseToOpen(source({}), 'k')).rejects.toThrow(
      /set the environment variable MATRIZ_KEY_PASSPHRASE/,
    );
    await expect(passphraseToCreate(source({}), 'k')).rejects.toMatchObject({
      code: 'passphrase-unavailable',
    });
  });

  it('for a new key: typed twice, at least 8 characters', async () => {
    expect(await passphraseToCreate(source({}, ['long enough', 'long enough']), 'k')).toBe(
      'long enough',
    );
    await expect(passphraseToCreate(source({}, ['long enough', 'different']), 'k')).rejects.toThrow(
      /differ/,
    );
    await expect(
      passphraseToCreate(source({ MATRIZ_KEY_PASSPHRASE: 'short' }), 'k'),
    ).rejects.toThrow(/at least 8 characters/);
  });
});

function flip(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return bytes.toString('base64');
}

function swapPublicKey(c: SecretKeyFile): SecretKeyFile {
  const bytes = Buffer.from(c.public_key, 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return { ...c, public_key: bytes.toString('base64') };
}

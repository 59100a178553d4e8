import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { collectBytes, hpkeOpen, hpkeSeal } from '../../src/crypto/hpke.js';
import { openRecipientKey, recipientKeyFromJson } from '../../src/keystore/recipient-key-file.js';
import { captureIo } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const env = { MATRIZ_KEY_PASSPHRASE: 'recipient key passphrase' };

async function matriz(work: string, args: string[], withEnv: Record<string, string> = env) {
  const io = captureIo({ cwd: work, env: withEnv });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('matriz keys generate --alg x-wing', () => {
  it('writes an encrypted recipient key (0600) whose exported public key seals what the secret key opens', async () => {
    const work = tempDir();
    const made = await matriz(work, [
      'keys',
      'generate',
      '--alg',
      'x-wing',
      '--out',
      'r.key',
      '--scrypt-log-n',
      '10',
    ]);
    expect(made.code, made.err).toBe(0);
    expect(made.out).toMatch(/alg\s+x-wing/);
    const file = path.join(work, 'r.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      format: 'matriz-secret-key/v1',
      alg: 'x-wing',
    });
    const exported = await matriz(work, ['keys', 'export-public', 'r.key']);
    expect(exported.code, exported.err).toBe(0);
    const publicKey = recipientKeyFromJson(JSON.parse(exported.out), 'r.pub.json');
    const shown = await matriz(work, ['keys', 'show', 'r.key', '--json']);
    expect(JSON.parse(shown.out)).toMatchObject({ alg: 'x-wing', keyid: publicKey.keyid });
    const opened = await openRecipientKey(file, env.MATRIZ_KEY_PASSPHRASE);
    expect(opened.keyid).toBe(publicKey.keyid);
    const sealed = await collectBytes(
      hpkeSeal(publicKey.publicKey, new TextEncoder().encode('hello')),
    );
    expect(new TextDecoder().decode(await collectBytes(hpkeOpen(opened.privateKey, sealed)))).toBe(
      'hello',
    );
  });

  it('refuses a wrong passphrase, and refuses the recipient key where a signing key is expected', async () => {
    const work = tempDir();
    expect(
      (
        await matriz(work, [
          'keys',
          'generate',
          '--alg',
          'x-wing',
          '--out',
          'r.key',
          '--scrypt-log-n',
          '10',
        ])
      ).code,
    ).toBe(0);
    await expect(
      openRecipientKey(path.join(work, 'r.key'), 'not the passphrase'),
    ).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
    await writeFile(path.join(work, 'in.txt'), 'x');
    const signed = await matriz(work, ['sign', '--key', 'r.key', '--in', 'in.txt', '--out', '-']);
    expect(signed.code).toBe(2);
    expect(signed.err).toMatch(/an X-Wing recipient key .*not a signing key/);
  });

  it('refuses public key JSON whose keyid does not match its key', () => {
    expect(() =>
      recipientKeyFromJson(
        { alg: 'x-wing', public_key: Buffer.alloc(1216).toString('base64'), keyid: 'f'.repeat(64) },
        'forged.pub.json',
      ),
    ).toThrow(/"keyid" does not match/);
  });
});

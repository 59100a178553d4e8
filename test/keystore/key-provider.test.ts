import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { base64Encode } from '../../src/crypto/encoding.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { commandKeyProvider } from '../../src/keystore/command-key-provider.js';
import { keyProviderFromEnvironment } from '../../src/keystore/key-provider-from-environment.js';
import { passphraseKeyProvider } from '../../src/keystore/key-provider.js';
import { encryptSecretKey } from '../../src/keystore/secret-key-file.js';
import { tempDir } from '../support/tmp.js';

/** Cheap scrypt for tests (the default costs ~0.5 s and 128 MiB per open). */
const FAST = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'correct horse battery staple';

/** A key file for a known seed, so that a command can answer with the raw key. */
async function keyFileWithSeed(
  directory: string,
  name: string,
  algorithm: 'ml-dsa-44' | 'ed25519' = 'ml-dsa-44',
) {
  const suite = await loadSignatureSuite(algorithm);
  const pair = suite.generateKeyPair();
  const contents = await encryptSecretKey(
    { algorithm, publicKey: pair.publicKey, seed: pair.seed },
    PASSPHRASE,
    FAST,
  );
  const file = path.join(directory, name);
  await writeFile(file, JSON.stringify(contents), { mode: 0o600 });
  return { file, pair, contents };
}

/**
 * A key command: a shell script (mode 0700) that records its arguments and standard input in
 * the directory, counts its runs, and then runs `body`.
 */
async function keyCommand(directory: string, body: string): Promise<string> {
  const script = path.join(directory, 'key-command.sh');
  await writeFile(
    script,
    [
      '#!/bin/sh',
      `dir='${directory}'`,
      'printf "%s\\n" "$*" > "$dir/args"',
      'cat > "$dir/stdin"',
      'echo run >> "$dir/runs"',
      body,
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  return script;
}

async function runs(directory: string): Promise<number> {
  const text = await readFile(path.join(directory, 'runs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

async function message(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('passphraseKeyProvider', () => {
  it('opens an encrypted key file and returns the key that the file names', async () => {
    const directory = tempDir();
    const { file, pair, contents } = await keyFileWithSeed(directory, 'log.json');
    const opened = await passphraseKeyProvider(PASSPHRASE).openKey(file, 'log-ml-dsa-44');
    expect(opened.key.keyid).toBe(contents.keyid);
    expect(opened.secretKey).toEqual(pair.secretKey);
  });

  it('refuses a wrong passphrase', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'log.json');
    expect(
      await message(passphraseKeyProvider('not the passphrase').openKey(file, 'root')),
    ).toMatch(/wrong passphrase/);
  });

  it('refuses a key file that group or others can read', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'log.json');
    await chmod(file, 0o644);
    expect(await message(passphraseKeyProvider(PASSPHRASE).openKey(file, 'root'))).toMatch(
      /accessible by group or others/,
    );
  });

  it('refuses a purpose that is not a short lowercase name', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'log.json');
    expect(await message(passphraseKeyProvider(PASSPHRASE).openKey(file, 'Root key'))).toMatch(
      /must be 1 to 64 of a-z, 0-9 and -/,
    );
  });

  it('creates only encrypted key files, mode 0600, never over an existing one', async () => {
    const directory = tempDir();
    const provider = passphraseKeyProvider(PASSPHRASE);
    const file = path.join(directory, 'enrolment.json');
    const created = await provider.createKey(file, 'ed25519', 'enrolment', { scrypt: FAST });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ format: 'matriz-secret-key/v1', alg: 'ed25519' });
    expect((await provider.openKey(file, 'enrolment')).key.keyid).toBe(created.keyid);
    await expect(
      provider.createKey(file, 'ed25519', 'enrolment', { scrypt: FAST }),
    ).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('refuses to encrypt a new key under a short passphrase', async () => {
    const directory = tempDir();
    expect(
      await message(
        passphraseKeyProvider('short').createKey(path.join(directory, 'k.json'), 'ed25519', 'root'),
      ),
    ).toMatch(/shorter than 8 characters/);
  });
});

describe('commandKeyProvider (the git credential helper contract)', () => {
  it('runs "<command> get" with purpose, keyid, algorithm and file on stdin, and opens the file with the passphrase it prints', async () => {
    const directory = tempDir();
    const { file, contents, pair } = await keyFileWithSeed(directory, 'log ml-dsa; $(x).json');
    const command = await keyCommand(directory, `echo 'passphrase=${PASSPHRASE}'`);
    const opened = await commandKeyProvider(command).openKey(file, 'log-ml-dsa-44');
    expect(opened.secretKey).toEqual(pair.secretKey);
    expect((await readFile(path.join(directory, 'args'), 'utf8')).trim()).toBe('get');
    expect(await readFile(path.join(directory, 'stdin'), 'utf8')).toBe(
      `purpose=log-ml-dsa-44\nkeyid=${contents.keyid}\nalgorithm=ml-dsa-44\nfile=${file}\n\n`,
    );
  });

  it('asks once per file within a process', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'log.json');
    const provider = commandKeyProvider(
      await keyCommand(directory, `echo 'passphrase=${PASSPHRASE}'`),
    );
    const first = await provider.openKey(file, 'log-ml-dsa-44');
    const second = await provider.openKey(file, 'log-ml-dsa-44');
    expect(second).toBe(first);
    expect(await runs(directory)).toBe(1);
  });

  it('uses a raw seed (secret_key=) after checking that it rebuilds the file’s public key', async () => {
    const directory = tempDir();
    const { file, pair } = await keyFileWithSeed(directory, 'root.json');
    const command = await keyCommand(directory, `echo 'secret_key=${base64Encode(pair.seed)}'`);
    const opened = await commandKeyProvider(command).openKey(file, 'root');
    expect(opened.secretKey).toEqual(pair.secretKey);
    const signature = opened.suite.sign(new Uint8Array([1, 2, 3]), opened.secretKey);
    expect(opened.suite.verify(signature, new Uint8Array([1, 2, 3]), pair.publicKey)).toBe(true);
  });

  it('uses an expanded secret key (secret_key=) after a signature made with it verifies', async () => {
    const directory = tempDir();
    const { file, pair } = await keyFileWithSeed(directory, 'root.json');
    const command = await keyCommand(
      directory,
      `printf 'ignored=1\\nsecret_key=%s\\n\\nafter=blank\\n' '${base64Encode(pair.secretKey)}'`,
    );
    const opened = await commandKeyProvider(command).openKey(file, 'root');
    expect(opened.secretKey).toEqual(pair.secretKey);
  });

  it('refuses a command that returns another key, naming the mismatch and never the secret', async () => {
    const directory = tempDir();
    const { file, contents } = await keyFileWithSeed(directory, 'root.json');
    const other = (await loadSignatureSuite('ml-dsa-44')).generateKeyPair();
    for (const material of [other.seed, other.secretKey]) {
      const secret = base64Encode(material);
      const command = await keyCommand(directory, `echo 'secret_key=${secret}'`);
      const refusal = await message(commandKeyProvider(command).openKey(file, 'root'));
      expect(refusal).toContain('does not match the public key in this file');
      expect(refusal).toContain(contents.keyid);
      expect(refusal).toContain('purpose root');
      expect(refusal).not.toContain(secret);
      expect(refusal).not.toContain(secret.slice(0, 16));
    }
  });

  it('refuses secret key material of the wrong length', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'root.json');
    const command = await keyCommand(
      directory,
      `echo 'secret_key=${base64Encode(new Uint8Array(7))}'`,
    );
    expect(await message(commandKeyProvider(command).openKey(file, 'root'))).toMatch(
      /is 7 bytes; ml-dsa-44 needs a 32-byte seed or a 2560-byte secret key/,
    );
  });

  it('refuses a passphrase that does not open the file, without repeating it', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'root.json');
    const command = await keyCommand(directory, "echo 'passphrase=hunter2-not-it'");
    const refusal = await message(commandKeyProvider(command).openKey(file, 'root'));
    expect(refusal).toContain('does not open this key file');
    expect(refusal).not.toContain('hunter2');
  });

  it('reports a non-zero exit with the purpose, the status and the trimmed standard error', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'root.json');
    const command = await keyCommand(
      directory,
      "echo 'passphrase=printed-before-failing'; echo '  vault: permission denied  ' >&2; exit 3",
    );
    const refusal = await message(commandKeyProvider(command).openKey(file, 'revocation'));
    expect(refusal).toBe(
      'MATRIZ_KEY_COMMAND (purpose revocation) failed (exit status 3); its standard error says: vault: permission denied',
    );
  });

  it('refuses garbled output without quoting it', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'root.json');
    for (const [body, reason] of [
      ["echo 'just-a-secret-word'", 'line 1 is not key=value'],
      ["echo 'password=s3cret-word'", 'neither passphrase= nor secret_key='],
      [
        "printf 'passphrase=a-secret-word\\nsecret_key=AAAA\\n'",
        'both passphrase= and secret_key=',
      ],
      ["echo 'secret_key=not base64!'", 'secret_key= is not standard padded base64'],
      ['true', 'nothing'],
    ] as const) {
      const command = await keyCommand(directory, body);
      const refusal = await message(commandKeyProvider(command).openKey(file, 'root'));
      expect(refusal).toContain('MATRIZ_KEY_COMMAND (purpose root) answered garbled output');
      expect(refusal).toContain(reason);
      expect(refusal).not.toMatch(/secret-word|s3cret/);
    }
  });

  it('stops a command that does not answer within the timeout', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'root.json');
    const command = await keyCommand(directory, "echo 'waiting for Vault' >&2; sleep 20");
    const started = Date.now();
    const refusal = await message(
      commandKeyProvider(command, { timeoutMs: 300 }).openKey(file, 'root'),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(refusal).toBe(
      'MATRIZ_KEY_COMMAND (purpose root) did not answer within 0.3 s and was stopped; its standard error says: waiting for Vault',
    );
  });

  it('passes the environment through to the command', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'root.json');
    const command = await keyCommand(directory, 'echo "passphrase=$VAULT_TEST_PASSPHRASE"');
    const opened = await commandKeyProvider(command, {
      env: { ...process.env, VAULT_TEST_PASSPHRASE: PASSPHRASE },
    }).openKey(file, 'root');
    expect(opened.key.algorithm).toBe('ml-dsa-44');
  });

  it('refuses a key file that others can read before running the command', async () => {
    const directory = tempDir();
    const { file } = await keyFileWithSeed(directory, 'root.json');
    await chmod(file, 0o640);
    const command = await keyCommand(directory, `echo 'passphrase=${PASSPHRASE}'`);
    expect(await message(commandKeyProvider(command).openKey(file, 'root'))).toMatch(
      /accessible by group or others/,
    );
    expect(await runs(directory)).toBe(0);
  });

  it('creates a key file encrypted under the passphrase the command gives, without a keyid on stdin', async () => {
    const directory = tempDir();
    const file = path.join(directory, 'new.json');
    const command = await keyCommand(directory, `echo 'passphrase=${PASSPHRASE}'`);
    const provider = commandKeyProvider(command);
    const created = await provider.createKey(file, 'ed25519', 'log-ed25519', { scrypt: FAST });
    expect(await readFile(path.join(directory, 'stdin'), 'utf8')).toBe(
      `purpose=log-ed25519\nalgorithm=ed25519\nfile=${file}\n\n`,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await passphraseKeyProvider(PASSPHRASE).openKey(file, 'log-ed25519')).key.keyid).toBe(
      created.keyid,
    );
  });

  it('refuses to create a key when the command holds raw keys (secret_key=) only', async () => {
    const directory = tempDir();
    const file = path.join(directory, 'new.json');
    const command = await keyCommand(
      directory,
      `echo 'secret_key=${base64Encode(new Uint8Array(32))}'`,
    );
    expect(
      await message(
        commandKeyProvider(command).createKey(file, 'ed25519', 'root', { scrypt: FAST }),
      ),
    ).toMatch(/create the key and its key file in the external system/);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('keyProviderFromEnvironment', () => {
  const warnings: string[] = [];
  const base = (directory: string, env: Record<string, string>, generate = false) => ({
    env,
    passphraseFile: path.join(directory, 'passphrase'),
    generatePassphraseFile: generate,
    warn: (text: string) => warnings.push(text),
  });

  it('refuses MATRIZ_KEY_COMMAND and MATRIZ_LOG_PASSPHRASE set together', async () => {
    const directory = tempDir();
    expect(
      await message(
        keyProviderFromEnvironment(
          base(directory, { MATRIZ_KEY_COMMAND: 'true', MATRIZ_LOG_PASSPHRASE: PASSPHRASE }),
        ),
      ),
    ).toMatch(/both MATRIZ_KEY_COMMAND and MATRIZ_LOG_PASSPHRASE are set/);
  });

  it('prefers the command, then the passphrase variable, then the passphrase file', async () => {
    const directory = tempDir();
    await writeFile(path.join(directory, 'passphrase'), `${PASSPHRASE}\n`, { mode: 0o600 });
    const command = await keyProviderFromEnvironment(
      base(directory, { MATRIZ_KEY_COMMAND: 'true' }),
    );
    expect(command.description).toBe('the key command MATRIZ_KEY_COMMAND');
    const variable = await keyProviderFromEnvironment(
      base(directory, { MATRIZ_LOG_PASSPHRASE: PASSPHRASE }),
    );
    expect(variable.description).toBe('MATRIZ_LOG_PASSPHRASE');
    warnings.length = 0;
    const stored = await keyProviderFromEnvironment(base(directory, {}));
    expect(stored.description).toBe(path.join(directory, 'passphrase'));
    expect(warnings.join('\n')).toContain('remove that file');
  });

  it('reads the deprecated MATRIZ_KEY_PASSPHRASE for log keys last, after the data directory file', async () => {
    const directory = tempDir();
    warnings.length = 0;
    const legacy = await keyProviderFromEnvironment(
      base(directory, { MATRIZ_KEY_PASSPHRASE: PASSPHRASE }),
    );
    expect(legacy.description).toBe('MATRIZ_KEY_PASSPHRASE (deprecated)');
    expect(warnings.join('\n')).toContain(
      "MATRIZ_KEY_PASSPHRASE is deprecated for the log's keys: set MATRIZ_LOG_PASSPHRASE instead",
    );
    // An owner's passphrase exported in the same shell does not shadow the data directory's own.
    await writeFile(path.join(directory, 'passphrase'), `${PASSPHRASE}\n`, { mode: 0o600 });
    const stored = await keyProviderFromEnvironment(
      base(directory, { MATRIZ_KEY_PASSPHRASE: 'an owner passphrase' }),
    );
    expect(stored.description).toBe(path.join(directory, 'passphrase'));
  });

  it('names the key, where the passphrase came from and where the right one comes from', async () => {
    const directory = tempDir();
    const file = path.join(directory, 'k.json');
    const right = await keyProviderFromEnvironment(
      base(directory, { MATRIZ_LOG_PASSPHRASE: PASSPHRASE }),
    );
    await right.createKey(file, 'ed25519', 'log-ed25519', { scrypt: FAST });
    const wrong = await keyProviderFromEnvironment(
      base(directory, { MATRIZ_LOG_PASSPHRASE: 'not the passphrase' }),
    );
    expect(await message(wrong.openKey(file, 'log-ed25519'))).toBe(
      `the log-ed25519 key ${file} does not open with the passphrase from MATRIZ_LOG_PASSPHRASE: wrong passphrase; the log's keys open with MATRIZ_KEY_COMMAND, MATRIZ_LOG_PASSPHRASE or ${path.join(directory, 'passphrase')}, whichever is set first (MATRIZ_OWNER_PASSPHRASE is for owner keys)`,
    );
  });

  it('refuses a passphrase file that group or others can read', async () => {
    const directory = tempDir();
    const file = path.join(directory, 'passphrase');
    await writeFile(file, `${PASSPHRASE}\n`, { mode: 0o600 });
    await chmod(file, 0o640);
    expect(await message(keyProviderFromEnvironment(base(directory, {})))).toMatch(
      /readable by group or others/,
    );
  });

  it('generates a passphrase file (0600) only on a first start', async () => {
    const directory = tempDir();
    expect(await message(keyProviderFromEnvironment(base(directory, {})))).toMatch(
      /no passphrase for the secret keys: set MATRIZ_KEY_COMMAND or MATRIZ_LOG_PASSPHRASE/,
    );
    warnings.length = 0;
    const provider = await keyProviderFromEnvironment(base(directory, {}, true));
    const file = path.join(directory, 'passphrase');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(warnings.join('\n')).toContain('generated a random passphrase');
    const key = path.join(directory, 'k.json');
    await provider.createKey(key, 'ed25519', 'root', { scrypt: FAST });
    const again = await keyProviderFromEnvironment(base(directory, {}));
    expect((await again.openKey(key, 'root')).key.algorithm).toBe('ed25519');
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { passphraseKeyProvider } from '../../src/keystore/key-provider.js';
import { dataDirKeyFile, openDataDir, openKeyProvider } from '../../src/operator/data-dir.js';
import { captureIo } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/examples.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'correct horse battery staple';

/** A key command (mode 0700) answering `passphrase=`, appending each request to `requests`. */
async function passphraseCommand(directory: string): Promise<string> {
  const script = path.join(directory, 'matriz-test-key');
  await writeFile(
    script,
    [
      '#!/bin/sh',
      `[ "$1" = get ] || { echo "unexpected action $1" >&2; exit 2; }`,
      `cat >> '${directory}/requests'`,
      `echo 'passphrase=${PASSPHRASE}'`,
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  return script;
}

function purposesAsked(directory: string): string[] {
  return readFileSync(path.join(directory, 'requests'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('purpose='));
}

describe('openDataDir with a key provider', () => {
  it('creates and opens the log keys through MATRIZ_KEY_COMMAND, with no passphrase file', async () => {
    const work = tempDir();
    const dataDir = path.join(work, 'data');
    const env = { MATRIZ_KEY_COMMAND: await passphraseCommand(work) };
    const warnings: string[] = [];
    const first = await openDataDir({
      dataDir,
      env,
      scrypt: FAST,
      warn: (text) => warnings.push(text),
    });
    expect(warnings).toEqual([]);
    expect(() => statSync(path.join(dataDir, 'passphrase'))).toThrow(/ENOENT/);
    for (const purpose of ['log-ed25519', 'log-ml-dsa-44'])
      expect(statSync(dataDirKeyFile(dataDir, purpose)).mode & 0o777).toBe(0o600);
    expect(purposesAsked(work)).toEqual([
      'purpose=log-ed25519',
      'purpose=log-ed25519',
      'purpose=log-ml-dsa-44',
      'purpose=log-ml-dsa-44',
    ]);
    const again = await openDataDir({ dataDir, env, warn: (text) => warnings.push(text) });
    expect(again.origin).toBe(first.origin);
    expect(again.mlDsa44.key.keyid).toBe(first.mlDsa44.key.keyid);
    expect(again.ed25519.key.keyid).toBe(first.ed25519.key.keyid);
  });

  it('takes an explicit provider, and operator commands open the same keys with openKeyProvider', async () => {
    const work = tempDir();
    const dataDir = path.join(work, 'data');
    const opened = await openDataDir({
      dataDir,
      keyProvider: passphraseKeyProvider(PASSPHRASE),
      scrypt: FAST,
      warn: () => undefined,
    });
    const provider = await openKeyProvider(dataDir, { MATRIZ_LOG_PASSPHRASE: PASSPHRASE }, () => {
      throw new Error('no warning expected');
    });
    const key = await provider.openKey(dataDirKeyFile(dataDir, 'log-ml-dsa-44'), 'log-ml-dsa-44');
    expect(key.key.keyid).toBe(opened.mlDsa44.key.keyid);
  });

  it('refuses MATRIZ_KEY_COMMAND and MATRIZ_LOG_PASSPHRASE set together', async () => {
    const work = tempDir();
    await expect(
      openDataDir({
        dataDir: path.join(work, 'data'),
        env: { MATRIZ_KEY_COMMAND: await passphraseCommand(work), MATRIZ_LOG_PASSPHRASE: 'x' },
        scrypt: FAST,
        warn: () => undefined,
      }),
    ).rejects.toThrow(/both MATRIZ_KEY_COMMAND and MATRIZ_LOG_PASSPHRASE are set/);
  });

  it('falls back to a generated passphrase file, refused once others can read it', async () => {
    const work = tempDir();
    const dataDir = path.join(work, 'data');
    const warnings: string[] = [];
    const warn = (text: string) => warnings.push(text);
    const first = await openDataDir({ dataDir, env: {}, scrypt: FAST, warn });
    const file = path.join(dataDir, 'passphrase');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(warnings.join('\n')).toContain('MATRIZ_LOG_PASSPHRASE is not set');
    const again = await openDataDir({ dataDir, env: {}, warn });
    expect(again.ed25519.key.keyid).toBe(first.ed25519.key.keyid);
    await chmod(file, 0o644);
    await expect(openDataDir({ dataDir, env: {}, warn })).rejects.toThrow(
      /readable by group or others/,
    );
  });

  it('refuses to open existing keys when no passphrase source is configured', async () => {
    const work = tempDir();
    const dataDir = path.join(work, 'data');
    await openDataDir({
      dataDir,
      keyProvider: passphraseKeyProvider(PASSPHRASE),
      scrypt: FAST,
      warn: () => undefined,
    });
    await expect(openDataDir({ dataDir, env: {}, warn: () => undefined })).rejects.toThrow(
      /set MATRIZ_KEY_COMMAND or MATRIZ_LOG_PASSPHRASE/,
    );
  });
});

describe('matriz serve with MATRIZ_KEY_COMMAND', () => {
  const servers: ServeProcess[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
  });

  it(
    'starts, signs checkpoints with the keys the command unlocks, and a client verifies them',
    { timeout: 120_000 },
    async () => {
      const work = tempDir();
      const dataDir = path.join(work, 'data');
      const env = {
        MATRIZ_CONFIG_DIR: path.join(work, 'config'),
        MATRIZ_OWNER_PASSPHRASE: PASSPHRASE,
      };
      const matriz = async (args: string[]) => {
        const io = captureIo({ cwd: work, env });
        const code = await main(args, io);
        return { code, out: io.out(), err: io.err() };
      };
      const keyFile = path.join(work, 'owner.key');
      expect(
        (
          await matriz([
            'keys',
            'generate',
            '--alg',
            'ml-dsa-44',
            '--out',
            keyFile,
            '--scrypt-log-n',
            '10',
          ])
        ).code,
      ).toBe(0);
      const owner = JSON.parse((await matriz(['keys', 'show', keyFile, '--json'])).out) as {
        keyid: string;
        owner_id: string;
      };
      expect(owner.owner_id).toBe(`GLYMPH:${owner.keyid}`);

      const command = await passphraseCommand(work);
      const server = await startServe(
        [
          '--data-dir',
          dataDir,
          '--origin',
          'registry.test/key-command',
          '--key-scrypt-log-n',
          '10',
        ],
        { MATRIZ_LOG_PASSPHRASE: undefined, MATRIZ_KEY_COMMAND: command },
      );
      servers.push(server);
      expect(server.stderr()).not.toContain('warning');
      expect(() => statSync(path.join(dataDir, 'passphrase'))).toThrow(/ENOENT/);
      expect(purposesAsked(work)).toContain('purpose=log-ml-dsa-44');

      const registered = await matriz([
        'register',
        path.join(EXAMPLES_DIR, 'telemetry_probe.json'),
        '--set-owner',
        '--server',
        server.url,
        '--key',
        keyFile,
        '--json',
      ]);
      expect(registered.code).toBe(0);
      expect(JSON.parse(registered.out)).toMatchObject({ index: 0, verified: true });
      const verify = await matriz(['verify', '--server', server.url]);
      expect(verify.code).toBe(0);
      expect(verify.out).toContain('ok: log registry.test/key-command at size 1');
      const shown = JSON.parse(
        (await matriz(['keys', 'show', dataDirKeyFile(dataDir, 'log-ml-dsa-44'), '--json'])).out,
      ) as { keyid: string; public_key: string };
      expect(shown.keyid).toMatch(/^[0-9a-f]{64}$/);
      // The client pinned the key the server signs with: the one in the key file.
      const pinned = readdirSync(path.join(work, 'config', 'logs'))
        .map((name) => readFileSync(path.join(work, 'config', 'logs', name), 'utf8'))
        .join('\n');
      expect(pinned).toContain(shown.public_key);
      expect(await readFile(path.join(work, 'requests'), 'utf8')).toContain(`keyid=${shown.keyid}`);
    },
  );

  it('refuses to start when MATRIZ_KEY_COMMAND fails, quoting its standard error', async () => {
    const work = tempDir();
    const script = path.join(work, 'failing-key');
    await writeFile(script, '#!/bin/sh\necho "vault: permission denied" >&2\nexit 2\n', {
      mode: 0o700,
    });
    await expect(
      startServe(['--data-dir', path.join(work, 'data'), '--key-scrypt-log-n', '10'], {
        MATRIZ_LOG_PASSPHRASE: undefined,
        MATRIZ_KEY_COMMAND: script,
      }),
    ).rejects.toThrow(
      /MATRIZ_KEY_COMMAND \(purpose log-ed25519\) failed \(exit status 2\); its standard error says: vault: permission denied/,
    );
  });
});

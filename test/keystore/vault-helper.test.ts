import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandKeyProvider } from '../../src/keystore/command-key-provider.js';
import { passphraseKeyProvider } from '../../src/keystore/key-provider.js';
import { tempDir } from '../support/tmp.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const SECURITY_MD = path.resolve(import.meta.dirname, '../../docs/security.md');

/** The helper script as docs/security.md prints it: the sh block starting with a shebang. */
async function documentedHelper(): Promise<string> {
  const text = await readFile(SECURITY_MD, 'utf8');
  const block = /```sh\n((?:[ \t]*)#!\/bin\/sh\n[\s\S]*?)```/.exec(text)?.[1];
  if (!block) throw new Error('docs/security.md: no helper script found');
  const indent = /^[ \t]*/.exec(block)?.[0] ?? '';
  return block
    .split('\n')
    .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
    .join('\n');
}

/** A stand-in `vault` CLI: answers `kv get -field=passphrase secret/matriz/<purpose>`. */
async function fakeVault(directory: string, secrets: Record<string, string>): Promise<void> {
  const cases = Object.entries(secrets)
    .map(
      ([purpose, value]) =>
        `  "kv get -field=passphrase secret/matriz/${purpose}") printf '%s' '${value}' ;;`,
    )
    .join('\n');
  await writeFile(
    path.join(directory, 'vault'),
    `#!/bin/sh\ncase "$*" in\n${cases}\n  *) echo "Error reading $*: permission denied" >&2; exit 2 ;;\nesac\n`,
    { mode: 0o700 },
  );
}

describe('the HashiCorp Vault helper in docs/security.md', () => {
  it('creates and opens a key with the passphrase stored for its purpose', async () => {
    const directory = tempDir();
    const helper = path.join(directory, 'matriz-vault-key');
    await writeFile(helper, await documentedHelper(), { mode: 0o700 });
    await fakeVault(directory, { 'log-ml-dsa-44': 'a passphrase kept in vault' });
    const env = { ...process.env, PATH: `${directory}:${process.env.PATH ?? ''}` };
    const provider = commandKeyProvider(helper, { env });
    const file = path.join(directory, 'log-ml-dsa-44.json');
    const created = await provider.createKey(file, 'ml-dsa-44', 'log-ml-dsa-44', { scrypt: FAST });
    expect((await provider.openKey(file, 'log-ml-dsa-44')).key.keyid).toBe(created.keyid);
    const direct = passphraseKeyProvider('a passphrase kept in vault');
    expect((await direct.openKey(file, 'log-ml-dsa-44')).key.keyid).toBe(created.keyid);
  });

  it('passes on Vault’s own error when the secret cannot be read', async () => {
    const directory = tempDir();
    const helper = path.join(directory, 'matriz-vault-key');
    await writeFile(helper, await documentedHelper(), { mode: 0o700 });
    await fakeVault(directory, {});
    const env = { ...process.env, PATH: `${directory}:${process.env.PATH ?? ''}` };
    await expect(
      commandKeyProvider(helper, { env }).createKey(
        path.join(directory, 'root.json'),
        'ed25519',
        'root',
      ),
    ).rejects.toThrow(
      /MATRIZ_KEY_COMMAND \(purpose root\) failed \(exit status 2\); its standard error says: Error reading kv get -field=passphrase secret\/matriz\/root: permission denied/,
    );
  });
});

/**
 * The trust scenarios of docs/security.md against a real `matriz serve` on loopback: log key
 * rotation with dual-signing, retirement, revocation (owner and log keys), owner enrolment and
 * tier escalation, and the attacks a client must refuse (rollback, freeze, a threshold met by
 * counting one key twice, a fork), each asserting the refusal and its stated reason. Operator
 * commands run while the server runs; nothing is restarted unless the scenario is a restart.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { LogKeysDocument } from '../../src/client/http-client.js';
import { checkpointVerifierFor, openVerifiedCheckpoint } from '../../src/client/log-verifier.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { base64Decode, base64Encode } from '../../src/crypto/encoding.js';
import { pae } from '../../src/crypto/dsse.js';
import { passphraseKeyProvider } from '../../src/keystore/key-provider.js';
import { parseCheckpoint } from '../../src/log/checkpoint.js';
import { signCheckpoint, type CheckpointSigner } from '../../src/log/checkpoint-signature.js';
import { parseNote } from '../../src/log/note.js';
import { canonicalize } from '../../src/json/canonicalize.js';
import { trustRootPayload, peekTrustRoot } from '../../src/trust/trust-root.js';
import { PAYLOAD_TYPES } from '../../src/crypto/payload-types.js';
import { captureIo } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/examples.js';
import { postgresAvailable, withScratchDatabase } from '../support/postgres.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const PASSPHRASE = 'correct horse battery staple';
const FAST = ['--key-scrypt-log-n', '10'];
let work: string;
let dataDir: string;
let env: Record<string, string>;
const servers: ServeProcess[] = [];

beforeEach(() => {
  work = tempDir();
  dataDir = path.join(work, 'data');
  env = { MATRIZ_CONFIG_DIR: path.join(work, 'config'), MATRIZ_KEY_PASSPHRASE: PASSPHRASE };
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function matriz(args: string[], extraEnv: Record<string, string> = {}) {
  const io = captureIo({ cwd: work, env: { ...env, ...extraEnv } });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** An operator command on the data directory (JSON output parsed). */
async function operator(args: string[]): Promise<Record<string, unknown>> {
  const result = await matriz([...args, '--data-dir', dataDir, ...FAST, '--json']);
  expect(result.err, `matriz ${args.join(' ')}`).not.toMatch(/error/);
  expect(result.code, `${args.join(' ')}: ${result.err}`).toBe(0);
  return JSON.parse(result.out) as Record<string, unknown>;
}

async function serve(dir = dataDir): Promise<ServeProcess> {
  const server = await startServe(['--data-dir', dir, '--origin', 'registry.test/trust', ...FAST], {
    MATRIZ_KEY_PASSPHRASE: PASSPHRASE,
  });
  servers.push(server);
  return server;
}

async function verify(server: ServeProcess, extra: string[] = []) {
  const result = await matriz(['verify', '--server', server.url, '--json', ...extra]);
  return {
    ...result,
    json: result.code === 0 ? (JSON.parse(result.out) as Record<string, unknown>) : undefined,
  };
}

/** A NodeSpec file: the core example under another name, lane and tier. */
function spec(name: string, lane = 'candidate', tier = 1): string {
  const document = JSON.parse(
    readFileSync(path.join(EXAMPLES_DIR, 'memory_adapter.json'), 'utf8'),
  ) as { metadata: { name: string }; identity: { lane: string; tier: number } };
  document.metadata.name = name;
  document.identity.lane = lane;
  document.identity.tier = tier;
  const file = path.join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

async function register(server: ServeProcess, file: string, key?: string) {
  return matriz([
    'register',
    file,
    '--server',
    server.url,
    '--set-owner',
    '--json',
    ...(key === undefined ? [] : ['--key', key]),
  ]);
}

async function treeSize(server: ServeProcess): Promise<number> {
  const note = await (await fetch(`${server.url}/api/v1/log/checkpoint`)).text();
  return parseCheckpoint(parseNote(note).text).size;
}

/** The signature lines of the served checkpoint (two per signing log key). */
async function checkpointLines(server: ServeProcess): Promise<number> {
  const note = await (await fetch(`${server.url}/api/v1/log/checkpoint`)).text();
  return parseNote(note).signatures.length;
}

function logKeyFiles(generation: number): { ed: string; ml: string } {
  const base = generation === 1 ? 'log' : `log-${generation}`;
  return {
    ed: path.join(dataDir, 'keys', `${base}-ed25519.json`),
    ml: path.join(dataDir, 'keys', `${base}-ml-dsa-44.json`),
  };
}

/**
 * What an attacker holding only log key `generation` could make: the latest stored checkpoint's
 * tree, signed again by that key alone, now; written over the stored one (a compromised server).
 */
async function serveCheckpointSignedOnlyBy(generation: number): Promise<void> {
  const provider = passphraseKeyProvider(PASSPHRASE);
  const files = logKeyFiles(generation);
  const [ed, ml] = await Promise.all([
    provider.openKey(files.ed, 'log-ed25519'),
    provider.openKey(files.ml, 'log-ml-dsa-44'),
  ]);
  const db = new Database(path.join(dataDir, 'registry.sqlite3'));
  try {
    const row = db
      .prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1')
      .get() as {
      size: number;
      note: string;
    };
    const checkpoint = parseCheckpoint(parseNote(row.note).text);
    const signer: CheckpointSigner = {
      name: checkpoint.origin,
      ed25519: { publicKey: ed.key.publicKey, sign: (m) => ed.suite.sign(m, ed.secretKey) },
      mlDsa44: { publicKey: ml.key.publicKey, sign: (m) => ml.suite.sign(m, ml.secretKey) },
    };
    const note = await signCheckpoint(checkpoint, signer, Math.floor(Date.now() / 1000) + 1);
    db.prepare('UPDATE checkpoints SET note = ? WHERE size = ?').run(note, row.size);
  } finally {
    db.close();
  }
}

async function ownerKey(name: string): Promise<{ key: string; pub: string; keyid: string }> {
  const key = path.join(work, `${name}.key`);
  expect(
    (await matriz(['keys', 'generate', '--alg', 'ml-dsa-44', '--out', key, '--scrypt-log-n', '10']))
      .code,
  ).toBe(0);
  const pub = path.join(work, `${name}.pub.json`);
  const exported = await matriz(['keys', 'export-public', key]);
  writeFileSync(pub, exported.out);
  return { key, pub, keyid: (JSON.parse(exported.out) as { keyid: string }).keyid };
}

describe('trust against a real server', () => {
  it(
    'a client pinned before two consecutive log key rotations verifies the latest checkpoint, and refuses one signed only by the retired key',
    { timeout: 180_000 },
    async () => {
      const server = await serve();
      expect((await register(server, spec('before-trust'))).code).toBe(0);
      const init = await operator(['trust', 'init']);
      const firstKey =
        (init.roles as { log: { keys: { keyid: string }[] } }).log.keys[0]?.keyid ?? '';
      const pinned = await verify(server);
      expect(pinned.json).toMatchObject({ ok: true, trust_root_version: 1 });

      const keysBefore = await (await fetch(`${server.url}/api/v1/log/keys`)).json();
      const rotated = await operator(['keys', 'rotate', '--role', 'log']);
      expect(rotated.version).toBe(2);
      // During the overlap the server signs with both keys: four note lines.
      expect((await register(server, spec('during-overlap'))).code).toBe(0);
      expect(await checkpointLines(server)).toBe(4);
      await operator(['keys', 'retire', firstKey]);
      const second = await operator(['keys', 'rotate', '--role', 'log']);
      await operator(['keys', 'retire', rotated.new_keyid as string]);
      expect((await register(server, spec('after-rotations'))).code).toBe(0);
      expect(await checkpointLines(server)).toBe(2);
      // /api/v1/log/keys names the key that signs now, for verifiers without trust roots (Go).
      const keysAfter = (await (
        await fetch(`${server.url}/api/v1/log/keys`)
      ).json()) as LogKeysDocument;
      expect(keysAfter.ed25519_vkey).not.toBe((keysBefore as LogKeysDocument).ed25519_vkey);
      const note = await (await fetch(`${server.url}/api/v1/log/checkpoint`)).text();
      const verifier = checkpointVerifierFor(keysAfter, {
        ed25519: await loadSignatureSuite('ed25519'),
        mlDsa44: await loadSignatureSuite('ml-dsa-44'),
      });
      expect(openVerifiedCheckpoint(note, verifier).size).toBe(await treeSize(server));

      // The same client, pinned at v1, walks v2..v5 and verifies the new key's checkpoint.
      const walked = await verify(server);
      expect(walked.err).toBe('');
      expect(walked.json).toMatchObject({ ok: true, trust_root_version: 5 });
      const shown = await matriz(['trust', 'show', '--server', server.url, '--json']);
      expect(
        (JSON.parse(shown.out) as { roles: { log: { keys: { keyid: string }[] } } }).roles.log.keys,
      ).toStrictEqual([{ keyid: second.new_keyid, alg: 'hybrid-ml-dsa-44-ed25519' }]);

      // fsck replays the trust root chain and the rotation records from the log alone.
      const checked = await matriz(['fsck', '--data-dir', dataDir, '--json']);
      expect(checked.code, checked.out).toBe(0);
      expect(JSON.parse(checked.out)).toMatchObject({ ok: true, problems: [] });

      // A checkpoint signed only by the first (retired) log key is refused, with the reason.
      await serveCheckpointSignedOnlyBy(1);
      const refused = await verify(server);
      expect(refused.code).toBe(3);
      expect(refused.err).toMatch(/checkpoint refused \(missing-signature\)/);
      expect(refused.err).toMatch(/0 of the required 1|signed by 0/);
    },
  );

  it(
    'enrols an owner without a restart, refuses tier escalation, then refuses the revoked owner key and leaves the log unchanged',
    { timeout: 120_000 },
    async () => {
      const server = await serve();
      await operator(['trust', 'init']);
      const owner = await ownerKey('owner');
      const core = spec('core-node', 'core', 5);
      const refusedBefore = await register(server, core, owner.key);
      expect(refusedBefore.code).toBe(1);
      expect(refusedBefore.err).toMatch(/not-entitled/);

      const enrolled = await operator([
        'owners',
        'enrol',
        '--pub',
        owner.pub,
        '--lanes',
        'core,lukhas',
        '--max-tier',
        '5',
      ]);
      expect(enrolled.owner_id).toBe(`GLYMPH:${owner.keyid}`);
      expect((await register(server, core, owner.key)).code).toBe(0);
      const escalation = await register(server, spec('escalation', 'core', 6), owner.key);
      expect(escalation.code).toBe(1);
      expect(escalation.err).toMatch(/not-entitled.*up to tier 5, not lane core at tier 6/);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/registry_refusals_total\{problem="not-entitled"\} [2-9]/);

      const revoked = await operator(['keys', 'revoke', owner.keyid, '--reason', 'laptop stolen']);
      expect(revoked).toMatchObject({ revoked: owner.keyid, revocations_version: 1 });
      const list = (await (await fetch(`${server.url}/api/v1/trust/revocations`)).json()) as {
        payload: string;
        payloadType: string;
      };
      expect(list.payloadType).toBe(PAYLOAD_TYPES.revocations);
      expect(new TextDecoder().decode(base64Decode(list.payload))).toContain(owner.keyid);

      const size = await treeSize(server);
      const afterRevocation = await register(
        server,
        spec('after-revocation', 'core', 3),
        owner.key,
      );
      expect(afterRevocation.code).toBe(1);
      expect(afterRevocation.err).toMatch(
        /revoked-key: owner key [0-9a-f]{64} was revoked at .* \(laptop stolen\)/,
      );
      const deregister = await matriz([
        'deregister',
        'core-node@0.1.0',
        '--server',
        server.url,
        '--key',
        owner.key,
      ]);
      expect(deregister.code).toBe(1);
      expect(deregister.err).toMatch(/revoked-key/);
      // Even the exact registration it made before (idempotent otherwise) is refused now.
      const again = await register(server, core, owner.key);
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/revoked-key/);
      expect(await treeSize(server)).toBe(size);
      // The client verifies the log with the revocation list in force; fsck replays it.
      expect((await verify(server)).json).toMatchObject({ ok: true, size });
      const checked = await matriz(['fsck', '--data-dir', dataDir]);
      expect(checked.out).toMatch(/^clean: /);
      expect(checked.code).toBe(0);
    },
  );

  it(
    'stops signing with a revoked log key, and clients refuse checkpoints it signs after its revocation',
    { timeout: 120_000 },
    async () => {
      const server = await serve();
      const init = await operator(['trust', 'init']);
      const firstKey =
        (init.roles as { log: { keys: { keyid: string }[] } }).log.keys[0]?.keyid ?? '';
      expect((await verify(server)).code).toBe(0);
      await operator(['keys', 'rotate', '--role', 'log']);
      await operator(['keys', 'revoke', firstKey, '--reason', 'log key leaked']);
      expect((await register(server, spec('after-log-revocation'))).code).toBe(0);
      expect(await checkpointLines(server)).toBe(2);
      expect((await verify(server)).code).toBe(0);

      await serveCheckpointSignedOnlyBy(1);
      const refused = await verify(server);
      expect(refused.code).toBe(3);
      expect(refused.err).toMatch(/checkpoint refused \(revoked-key\)/);
    },
  );

  it(
    'refuses a server that went back to an older trust root (rollback)',
    { timeout: 120_000 },
    async () => {
      let server = await serve();
      await operator(['trust', 'init']);
      await server.stop();
      const backup = path.join(work, 'backup');
      cpSync(dataDir, backup, { recursive: true });
      server = await serve();
      await operator(['keys', 'rotate', '--role', 'log']);
      expect((await verify(server)).json).toMatchObject({ trust_root_version: 2 });
      await server.stop();
      rmSync(dataDir, { recursive: true });
      cpSync(backup, dataDir, { recursive: true });
      server = await serve();
      const refused = await verify(server);
      expect(refused.code).toBe(3);
      expect(refused.err).toMatch(/trust root refused \(rollback\).*v1.*v2 is already trusted/);
    },
  );

  it(
    'refuses a chain with a gap (a version the server does not serve)',
    { timeout: 120_000 },
    async () => {
      const server = await serve();
      await operator(['trust', 'init']);
      expect((await verify(server)).json).toMatchObject({ trust_root_version: 1 });
      const rotated = await operator(['keys', 'rotate', '--role', 'log']);
      const first = (rotated.roles as { log: { keys: { keyid: string }[] } }).log.keys[0]?.keyid;
      await operator(['keys', 'retire', first as string]);
      // A server that hides v2 (the version that introduced the new log key) from this client.
      const db = new Database(path.join(dataDir, 'registry.sqlite3'));
      db.prepare("DELETE FROM trust_documents WHERE kind = 'trust-root' AND version = 2").run();
      db.close();
      const refused = await verify(server);
      expect(refused.code).toBe(3);
      expect(refused.err).toMatch(
        /trust root refused \(gap\): the log serves trust root v3 but not v2; the chain from v1 has a gap/,
      );
    },
  );

  it('refuses an expired trust root (freeze)', { timeout: 60_000 }, async () => {
    const server = await serve();
    await operator(['trust', 'init', '--expires', '4s']);
    expect((await verify(server)).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const refused = await verify(server);
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/trust root refused \(expired\): trust root v1 expired at/);
  });

  it(
    'refuses a trust root whose threshold is met only by counting one root key twice; rotates a root key with a root drafted and signed offline',
    { timeout: 120_000 },
    async () => {
      const server = await serve();
      await operator(['trust', 'init', '--root-keys', '2', '--root-threshold', '2']);
      expect((await verify(server)).json).toMatchObject({ trust_root_version: 1 });
      const v1File = path.join(work, 'v1.json');
      writeFileSync(
        v1File,
        (await matriz(['trust', 'show', '--server', server.url, '--envelope'])).out,
      );
      const v1 = peekTrustRoot(JSON.parse(readFileSync(v1File, 'utf8')));
      const payload = trustRootPayload({
        origin: v1.origin,
        version: 2,
        expires: v1.expires,
        keys: [...v1.keys.values()],
        roles: v1.roles,
      });
      const provider = passphraseKeyProvider(PASSPHRASE);
      const rootKey = await provider.openKey(path.join(dataDir, 'keys', 'root-1.json'), 'root');
      const sig = base64Encode(
        rootKey.suite.sign(pae(PAYLOAD_TYPES.trustRoot, payload), rootKey.secretKey),
      );
      const twice = {
        payload: base64Encode(payload),
        payloadType: PAYLOAD_TYPES.trustRoot,
        signatures: [
          { keyid: rootKey.key.keyid, sig },
          { keyid: rootKey.key.keyid, sig },
        ],
      };
      const twiceFile = path.join(work, 'twice.json');
      writeFileSync(twiceFile, JSON.stringify(twice));
      const published = await matriz([
        'trust',
        'publish',
        twiceFile,
        '--data-dir',
        dataDir,
        ...FAST,
      ]);
      expect(published.code).toBe(1);
      expect(published.err).toMatch(
        /trust-root refused \(threshold\).*signed by 1 of the required 2/,
      );

      // A compromised server serving it anyway: the client refuses it for the same reason.
      const db = new Database(path.join(dataDir, 'registry.sqlite3'));
      db.prepare(
        'INSERT INTO trust_documents (kind, version, envelope, log_index) VALUES (?, ?, ?, ?)',
      ).run('trust-root', 2, canonicalize(twice), 0);
      db.close();
      const refused = await verify(server);
      expect(refused.code).toBe(3);
      expect(refused.err).toMatch(
        /trust root refused \(threshold\).*signed by 1 of the required 2/,
      );
      const fsck = await matriz(['fsck', '--data-dir', dataDir]);
      expect(fsck.code).toBe(1);
      expect(fsck.out).toMatch(/problem: trust-root v2 is in the store but in no log leaf/);
      // So is an enrolment no log leaf recorded (an entitlement slipped into the database).
      const slipped = new Database(path.join(dataDir, 'registry.sqlite3'));
      slipped
        .prepare(
          "INSERT INTO enrolments (owner_id, lanes, max_tier, log_index, enrolled_at) VALUES (?, 'core', 7, 0, '2026-01-01T00:00:00.000Z')",
        )
        .run(`GLYMPH:${'e'.repeat(64)}`);
      slipped.close();
      expect((await matriz(['fsck', '--data-dir', dataDir])).out).toMatch(
        /problem: the enrolment of GLYMPH:e{64} is in the store but in no log leaf/,
      );
      const removed = new Database(path.join(dataDir, 'registry.sqlite3'));
      removed
        .prepare("DELETE FROM trust_documents WHERE kind = 'trust-root' AND version = 2")
        .run();
      removed.close();

      // A root key rotation, drafted and signed offline, one holder after the other: root-2 is
      // replaced by a new key, so v2 needs root-1 and root-2 (v1's threshold) and root-3 (its own).
      const rootThree = await ownerKey('root-3');
      const rootTwo = JSON.parse(
        (await matriz(['keys', 'show', path.join(dataDir, 'keys', 'root-2.json'), '--json'])).out,
      ) as { keyid: string };
      const draft = await matriz([
        'trust',
        'draft',
        '--data-dir',
        dataDir,
        '--remove-key',
        rootTwo.keyid,
        '--add-key',
        `root=${rootThree.pub}`,
        '--output',
        path.join(work, 'v2.json'),
      ]);
      expect(draft.code, draft.err).toBe(0);
      const sign = async (input: string, key: string, output: string) => {
        const signed = await matriz([
          'trust',
          'sign',
          path.join(work, input),
          '--key',
          key,
          '--output',
          path.join(work, output),
        ]);
        expect(signed.code, signed.err).toBe(0);
      };
      await sign('v2.json', path.join(dataDir, 'keys', 'root-1.json'), 'v2-1.json');
      await sign('v2-1.json', path.join(dataDir, 'keys', 'root-2.json'), 'v2-2.json');
      const missingNew = await matriz([
        'trust',
        'publish',
        path.join(work, 'v2-2.json'),
        '--data-dir',
        dataDir,
        ...FAST,
      ]);
      expect(missingNew.code).toBe(1);
      expect(missingNew.err).toMatch(/threshold.*its own root role.*signed by 1 of the required 2/);
      await sign('v2-2.json', rootThree.key, 'v2-3.json');
      const chain = await matriz([
        'trust',
        'verify',
        path.join(work, 'v2-3.json'),
        '--pinned',
        v1File,
      ]);
      expect(chain.code, chain.err).toBe(0);
      const rotatedRoot = await matriz([
        'trust',
        'publish',
        path.join(work, 'v2-3.json'),
        '--data-dir',
        dataDir,
        ...FAST,
      ]);
      expect(rotatedRoot.code, rotatedRoot.err).toBe(0);
      expect((await verify(server)).json).toMatchObject({ ok: true, trust_root_version: 2 });
    },
  );

  it(
    'detects two validly signed checkpoints of the same size with different trees (a fork) and keeps both as evidence',
    { timeout: 120_000 },
    async () => {
      let server = await serve();
      await operator(['trust', 'init']);
      await server.stop();
      const twin = path.join(work, 'twin');
      cpSync(dataDir, twin, { recursive: true });
      server = await serve();
      const other = await serve(twin);
      expect((await register(server, spec('only-on-a'))).code).toBe(0);
      // Another user writes to the twin; this client has not seen it yet.
      const elsewhere = await matriz(
        ['register', spec('only-on-b'), '--server', other.url, '--set-owner'],
        { MATRIZ_CONFIG_DIR: path.join(work, 'other-user') },
      );
      expect(elsewhere.code, elsewhere.err).toBe(0);
      expect((await verify(server)).code).toBe(0);
      const forked = await verify(other);
      expect(forked.code).toBe(4);
      expect(forked.err).toMatch(/signed two different trees of size 2/);
      const evidenceFile = /evidence: ([^)]+)\)/.exec(forked.err)?.[1] as string;
      const evidence = JSON.parse(readFileSync(evidenceFile, 'utf8')) as Record<string, string>;
      expect(evidence.previous_checkpoint).not.toBe(evidence.new_checkpoint);
      expect(parseCheckpoint(parseNote(evidence.previous_checkpoint as string).text).size).toBe(2);
      expect(parseCheckpoint(parseNote(evidence.new_checkpoint as string).text).size).toBe(2);
    },
  );

  it(
    'a server whose stored log no longer matches its signed checkpoint refuses to sign, and counts it',
    { timeout: 60_000 },
    async () => {
      let server = await serve();
      expect((await register(server, spec('first'))).code).toBe(0);
      expect((await register(server, spec('second'))).code).toBe(0);
      await server.stop();
      const db = new Database(path.join(dataDir, 'registry.sqlite3'));
      db.prepare('UPDATE subtrees SET hash = zeroblob(32) WHERE level = 1 AND idx = 0').run();
      db.close();
      server = await serve();
      const size = 2;
      const refused = await matriz([
        'register',
        spec('third'),
        '--server',
        server.url,
        '--set-owner',
        '--save-request',
        path.join(work, 'request.json'),
      ]);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(
        /log-inconsistent: the latest stored checkpoint \(size 2\) does not sign the stored tree/,
      );
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/registry_log_inconsistencies_total 1/);
      expect(server.stderr()).toMatch(/WRITES HALTED: the latest stored checkpoint/);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      const direct = await fetch(`${server.url}/api/v1/registry/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: readFileSync(path.join(work, 'request.json')),
      });
      expect(direct.status).toBe(503);
      expect(direct.headers.get('retry-after')).toBeNull();
      // Reads still work: the evidence can be examined.
      expect((await fetch(`${server.url}/api/v1/log/checkpoint`)).status).toBe(200);
      const db2 = new Database(path.join(dataDir, 'registry.sqlite3'), { readonly: true });
      expect((db2.prepare('SELECT size FROM log_state').get() as { size: number }).size).toBe(size);
      db2.close();
    },
  );
});

describe.runIf(await postgresAvailable())('trust with the PostgreSQL store', () => {
  it(
    'operator commands act through --database-url on the store a running server uses',
    { timeout: 120_000 },
    async () => {
      await withScratchDatabase('matriz_e2e', async (url) => {
        const server = await startServe(['--data-dir', dataDir, '--database-url', url, ...FAST], {
          MATRIZ_KEY_PASSPHRASE: PASSPHRASE,
        });
        servers.push(server);
        expect((await register(server, spec('on-postgres'))).code).toBe(0);
        const db = ['--database-url', url];
        await operator(['trust', 'init', ...db]);
        await operator(['keys', 'rotate', '--role', 'log', ...db]);
        expect((await register(server, spec('after-rotation'))).code).toBe(0);
        expect(await checkpointLines(server)).toBe(4);
        expect((await verify(server)).json).toMatchObject({
          ok: true,
          trust_root_version: 2,
          size: 5,
        });
        const fsck = await matriz(['fsck', '--data-dir', dataDir, ...db]);
        expect(fsck.out).toMatch(/^clean: 5 leaves/);
        await server.stop();
      });
    },
  );
});

/**
 * The log as C2SP tlog-tiles, read by Go's golang.org/x/mod/sumdb/tlog (test/interop/go/tiles.go)
 * from a real `matriz serve` on loopback and from the directory `matriz tiles export` writes:
 * TileHashReader checks every tile against the signed checkpoint's root, then proves inclusion of
 * leaves read from the entry bundles and consistency with an earlier checkpoint.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { tileSource } from '../../src/client/tile-source.js';
import { verifyTreeTiles } from '../../src/client/tree-tiles.js';
import { base64Encode } from '../../src/crypto/encoding.js';
import { parseCheckpoint } from '../../src/log/checkpoint.js';
import { leafHash } from '../../src/log/hash.js';
import { parseNote } from '../../src/log/note.js';
import { decodeEntryBundle, decodeHashTile } from '../../src/log/tiles.js';
import { captureIo } from '../support/cli.js';
import {
  createDataDir,
  DATA_DIR_PASSPHRASE,
  openWriter,
  registerMany,
} from '../support/data-dir-log.js';
import { goInteropAvailable, runGoTiles } from '../support/go-interop.js';
import { postgresAvailable, withScratchDatabase } from '../support/postgres.js';
import { makeOwner, ORIGIN } from '../support/registry.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/tmp.js';

const ENV = { MATRIZ_KEY_PASSPHRASE: DATA_DIR_PASSPHRASE };
const servers: ServeProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function get(url: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url);
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

function rootOf(note: string): { size: number; root: string } {
  const checkpoint = parseCheckpoint(parseNote(note).text);
  return { size: checkpoint.size, root: base64Encode(checkpoint.rootHash) };
}

/** A data directory whose log has 600 entries, and the checkpoint it had at 300. */
async function logOf600(work: string): Promise<{ dataDir: string; at300: string }> {
  const dataDir = path.join(work, 'data');
  await createDataDir(dataDir, ORIGIN);
  const owner = await makeOwner('ed25519');
  let writer = await openWriter(dataDir, ORIGIN);
  await registerMany(writer.registry, owner, ORIGIN, 300, 'first');
  const at300 = await writer.registry.checkpoint();
  await writer.close();
  writer = await openWriter(dataDir, ORIGIN);
  await registerMany(writer.registry, owner, ORIGIN, 300, 'second');
  await writer.close();
  return { dataDir, at300 };
}

describe('tiles served by matriz serve', () => {
  it('answers hash tiles, entry bundles and the checkpoint at the spec paths, with cache headers', async () => {
    const work = tempDir();
    const { dataDir } = await logOf600(work);
    const server = await startServe(['--data-dir', dataDir], ENV);
    servers.push(server);

    const checkpoint = await get(`${server.url}/checkpoint`);
    expect(checkpoint.status).toBe(200);
    expect(checkpoint.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(checkpoint.headers.get('cache-control')).toBe('no-store');
    expect(checkpoint.body.toString()).toBe(
      (await get(`${server.url}/api/v1/log/checkpoint`)).body.toString(),
    );
    expect(rootOf(checkpoint.body.toString()).size).toBe(600);

    const full = await get(`${server.url}/tile/0/001`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(full.body).toHaveLength(256 * 32);
    // A partial tile is the first W hashes of its tile, whatever the width asked.
    const partial = await get(`${server.url}/tile/0/001.p/3`);
    expect(partial.body).toStrictEqual(full.body.subarray(0, 96));
    expect((await get(`${server.url}/tile/0/002.p/88`)).body).toHaveLength(88 * 32);
    expect((await get(`${server.url}/tile/1/000.p/2`)).body).toHaveLength(64);

    const bundle = await get(`${server.url}/tile/entries/002.p/88`);
    expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const leaves = decodeEntryBundle(bundle.body, 88);
    const leaf599 = await get(`${server.url}/api/v1/log/entries/599`);
    expect(Buffer.from(leaves[87] ?? [])).toStrictEqual(leaf599.body);
    // Level 0 hashes are the leaf hashes of the bundle's leaves.
    const tile2 = decodeHashTile((await get(`${server.url}/tile/0/002.p/88`)).body, 88);
    expect(Buffer.from(tile2[87] ?? [])).toStrictEqual(
      Buffer.from(leafHash(leaves[87] ?? new Uint8Array())),
    );

    for (const beyond of ['tile/0/002.p/89', 'tile/0/003', 'tile/1/000', 'tile/2/000.p/1']) {
      const answer = await get(`${server.url}/${beyond}`);
      expect(answer.status, beyond).toBe(404);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body.toString()).detail).toMatch(/checkpoint has 600 entries/);
    }
    for (const malformed of ['tile/0/1', 'tile/0/001.p/256', 'tile/0/x000/001', 'tile/data/000']) {
      const answer = await get(`${server.url}/${malformed}`);
      expect(answer.status, malformed).toBe(404);
      expect(JSON.parse(answer.body.toString()).detail).toMatch(/names no tile/);
    }
  });
});

describe.runIf(goInteropAvailable())("Go's sumdb/tlog reads the tiles", () => {
  let vkeyOf: (url: string) => Promise<string>;
  beforeAll(() => {
    vkeyOf = async (url) =>
      ((await (await fetch(`${url}/api/v1/log/keys`)).json()) as { ed25519_vkey: string })
        .ed25519_vkey;
  });

  it(
    'from the server and from tiles export: every tile checks out against the checkpoint, proofs verify, a changed tile is caught',
    { timeout: 120_000 },
    async () => {
      const work = tempDir();
      const { dataDir, at300 } = await logOf600(work);
      const server = await startServe(['--data-dir', dataDir], ENV);
      servers.push(server);
      const vkey = await vkeyOf(server.url);
      const signed = (await get(`${server.url}/checkpoint`)).body.toString();
      const leaves = [0, 255, 256, 300, 511, 599];
      const request = { vkey, leaves, old_sizes: [1, 255, 256, 300, 599, 600] };

      const http = await runGoTiles({ ...request, base: server.url });
      expect(http.error).toBe('');
      expect(http.origin).toBe(ORIGIN);
      expect({ size: http.size, root: http.root }).toStrictEqual(rootOf(signed));
      for (const record of http.records ?? []) {
        expect(record.error, `leaf ${record.index}`).toBe('');
        const served = await get(`${server.url}/api/v1/log/entries/${record.index}`);
        expect(Buffer.from(record.leaf, 'base64')).toStrictEqual(served.body);
      }
      expect(http.records).toHaveLength(leaves.length);
      expect((http.consistency ?? []).map((c) => c.error)).toStrictEqual(Array(6).fill(''));
      // The root Go computed for size 300 from today's tiles is the one signed back then.
      expect(http.consistency?.find((c) => c.from === 300)?.root).toBe(rootOf(at300).root);
      // Go read the right edge as partial tiles and the leaves from entry bundles.
      expect(http.fetched).toContain('tile/0/002.p/88');
      expect(http.fetched).toContain('tile/1/000.p/2');
      expect(http.fetched?.some((p) => p.startsWith('tile/entries/'))).toBe(true);

      const out = path.join(work, 'tiles');
      const matriz = async (args: string[]) => {
        const io = captureIo({ cwd: work, env: ENV });
        const code = await main(args, io);
        return { code, out: io.out(), err: io.err() };
      };
      const exported = await matriz([
        'tiles',
        'export',
        '--data-dir',
        dataDir,
        '--out',
        out,
        '--json',
      ]);
      expect(exported.code, exported.err).toBe(0);
      expect(JSON.parse(exported.out)).toMatchObject({ size: 600, tiles: 7, written: 7 });
      for (const file of ['tile/0/000', 'tile/0/002.p/88', 'tile/1/000.p/2', 'tile/entries/001']) {
        expect(await readFile(path.join(out, file)), file).toStrictEqual(
          (await get(`${server.url}/${file}`)).body,
        );
      }
      expect(await readFile(path.join(out, 'checkpoint'), 'utf8')).toBe(signed);
      const again = await matriz(['tiles', 'export', '--data-dir', dataDir, '--out', out]);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/7 tiles \(0 new, 7 already there\)/);

      const files = await runGoTiles({ ...request, base: out });
      expect(files.error).toBe('');
      expect(files.root).toBe(http.root);
      expect(files.records?.map((r) => r.leaf)).toStrictEqual(http.records?.map((r) => r.leaf));

      // One changed hash in a full tile: Go's TileHashReader refuses it.
      const tileFile = path.join(out, 'tile/0/001');
      const tampered = await readFile(tileFile);
      tampered[40] = (tampered[40] ?? 0) ^ 1;
      await writeFile(tileFile, tampered);
      const forged = await runGoTiles({ ...request, leaves: [300], base: out });
      expect(`${forged.error}${forged.records?.[0]?.error ?? ''}`).toMatch(/inconsistent|invalid/);
      // And tiles export refuses to overwrite it rather than hide the damage.
      const refused = await matriz(['tiles', 'export', '--data-dir', dataDir, '--out', out]);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(
        /^matriz: tiles export: tile\/0\/001 in the output directory differs/,
      );
    },
  );
});

describe.runIf(await postgresAvailable())('tiles from the PostgreSQL store', () => {
  it(
    'serves and exports the same tiles from --database-url, which the tree check and the audit accept',
    { timeout: 120_000 },
    async () => {
      await withScratchDatabase('matriz_tiles', async (url) => {
        const work = tempDir();
        const dataDir = path.join(work, 'data');
        await createDataDir(dataDir, ORIGIN);
        const writer = await openWriter(dataDir, ORIGIN, { databaseUrl: url });
        await registerMany(writer.registry, await makeOwner('ed25519'), ORIGIN, 300, 'pg');
        await writer.close();
        const server = await startServe(['--data-dir', dataDir, '--database-url', url], ENV);
        servers.push(server);
        const env = { ...ENV, MATRIZ_CONFIG_DIR: path.join(work, 'client') };
        const matriz = async (args: string[]) => {
          const io = captureIo({ cwd: work, env });
          const code = await main(args, io);
          return { code, out: io.out(), err: io.err() };
        };
        const out = path.join(work, 'tiles');
        const exported = await matriz([
          'tiles',
          'export',
          '--data-dir',
          dataDir,
          '--database-url',
          url,
          '--out',
          out,
          '--json',
        ]);
        expect(exported.code, exported.err).toBe(0);
        expect(JSON.parse(exported.out)).toMatchObject({ size: 300, tiles: 5, written: 5 });
        for (const file of [
          'tile/0/000',
          'tile/0/001.p/44',
          'tile/1/000.p/1',
          'tile/entries/001.p/44',
        ])
          expect(await readFile(path.join(out, file)), file).toStrictEqual(
            (await get(`${server.url}/${file}`)).body,
          );
        const { root } = rootOf(await readFile(path.join(out, 'checkpoint'), 'utf8'));
        await verifyTreeTiles(tileSource(out), 300, Buffer.from(root, 'base64'));
        const audit = await matriz(['audit', '--server', server.url, '--json']);
        expect(audit.code, audit.err).toBe(0);
        expect(JSON.parse(audit.out)).toMatchObject({ ok: true, size: 300, checked: 300 });
      });
    },
  );
});

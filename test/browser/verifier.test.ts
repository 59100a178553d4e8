/**
 * DESIGN: "a verifier (checkpoint, proof, trust root, signature) must run in a browser". The
 * pure layers are bundled for the browser by Rolldown (a static Node.js builtin import fails the
 * build) and run in Debian's Chromium driven by Playwright, against a real `matriz serve` with a
 * rotated log key, a revocation and a retirement. The page fetches every document itself from
 * its own origin: a loopback server that serves the bundle and passes /api/* through to the
 * registry unchanged (the registry sends no CORS headers, so the page cannot call it directly).
 *
 * Chromium missing: skipped with a message, unless MATRIZ_REQUIRE_BROWSER=1 (CI), then a failure.
 * Needs dist/ (`npm run build`), like every test that starts `matriz serve`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { LogKeysDocument } from '../../src/client/http-client.js';
import { checkpointVerifierFor } from '../../src/client/log-verifier.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { witnessVerifierKey } from '../../src/log/cosignature.js';
import { Witness } from '../../src/witness/witness.js';
import { captureIo } from '../support/cli.js';
import { EXAMPLES_DIR } from '../support/examples.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { bundleVerifier, type BrowserBundle } from './bundle.js';
import type { Evidence, MatrizVerifier, Report, VerifyOptions } from './verifier-entry.js';

const CHROMIUM = process.env.MATRIZ_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const required = process.env.MATRIZ_REQUIRE_BROWSER === '1';
const LIBOQS_DIST = path.resolve(import.meta.dirname, '../../node_modules/@oqs/liboqs-js/dist');

if (!available && !required)
  console.warn(
    `test/browser skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set MATRIZ_CHROMIUM); MATRIZ_REQUIRE_BROWSER=1 makes this a failure`,
  );

const PASSPHRASE = 'correct horse battery staple';
const FAST = ['--key-scrypt-log-n', '10'];

let work: string;
let dataDir: string;
let env: Record<string, string>;
let server: ServeProcess | undefined;
let pageServer: Server | undefined;
let launching: Promise<Browser> | undefined;
let page: Page;
let bundle: BrowserBundle;
/** The evidence the page fetched in the first verification (the negative rows alter copies). */
let evidence: Evidence;
/** Paths the page requested from its origin, in order. */
const requested: string[] = [];
const pageErrors: string[] = [];
/** Whether the page server offers liboqs's modules (off: the browser must fall back to noble). */
let serveLiboqs = true;
let pageUrl: string;
/** What the scenario produced, for the page to verify. */
let leafIndex: number;
let earlierCheckpoint: string;
let newestExpires: string;
let firstLogKey: string;
let treeSize: number;

async function matriz(args: string[]) {
  const io = captureIo({ cwd: work, env });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** An operator command on the data directory (JSON output parsed). */
async function operator(args: string[]): Promise<Record<string, unknown>> {
  const result = await matriz([...args, '--data-dir', dataDir, ...FAST, '--json']);
  expect(result.code, `matriz ${args.join(' ')}: ${result.err}`).toBe(0);
  return JSON.parse(result.out) as Record<string, unknown>;
}

/** Registers the core example under another name, as a candidate; returns its log index. */
async function register(name: string): Promise<number> {
  const document = JSON.parse(
    readFileSync(path.join(EXAMPLES_DIR, 'memory_adapter.json'), 'utf8'),
  ) as { metadata: { name: string }; identity: { lane: string; tier: number } };
  document.metadata.name = name;
  // A lane and tier an unenrolled owner may claim.
  document.identity.lane = 'candidate';
  document.identity.tier = 1;
  const file = path.join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(document));
  const url = server?.url ?? '';
  const result = await matriz(['register', file, '--server', url, '--set-owner', '--json']);
  expect(result.code, result.err).toBe(0);
  return (JSON.parse(result.out) as { index: number }).index;
}

/** Serves the page, the bundle, liboqs's WebAssembly modules, and /api/* from the registry. */
async function startPageServer(registryUrl: string, bundleFile: string): Promise<string> {
  const html =
    '<!doctype html><meta charset="utf-8"><title>MATRIZ verifier</title><script type="module" src="/verifier.js"></script>';
  const app = createServer((request, response) => {
    const url = request.url ?? '/';
    requested.push(url);
    const send = (status: number, type: string, body: Uint8Array | string) => {
      response.writeHead(status, { 'content-type': type }).end(body);
    };
    if (request.method !== 'GET') {
      send(405, 'text/plain', 'GET only');
      return;
    }
    if (url === '/') {
      send(200, 'text/html; charset=utf-8', html);
      return;
    }
    if (url === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    if (url === '/verifier.js') {
      send(200, 'text/javascript', readFileSync(bundleFile));
      return;
    }
    // @oqs/liboqs-js loads `../../../../dist/<alg>.min.js` relative to the module (the bundle
    // here): a deployment serves the package's dist/ next to it; the WebAssembly is inline.
    const wasm = /^\/dist\/([a-z0-9-]+\.min\.js)$/.exec(url);
    if (serveLiboqs && wasm?.[1] && existsSync(path.join(LIBOQS_DIST, wasm[1]))) {
      send(200, 'text/javascript', readFileSync(path.join(LIBOQS_DIST, wasm[1])));
      return;
    }
    if (url.startsWith('/api/')) {
      fetch(`${registryUrl}${url}`)
        .then(async (upstream) => {
          send(
            upstream.status,
            upstream.headers.get('content-type') ?? 'application/octet-stream',
            new Uint8Array(await upstream.arrayBuffer()),
          );
        })
        .catch((error: unknown) => {
          send(502, 'text/plain', String(error));
        });
      return;
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  pageServer = app;
  return `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
}

/** The page fetches the evidence from its origin (the registry) and hands it back. */
async function fetchInPage(): Promise<Evidence> {
  return page.evaluate(
    (input) =>
      (globalThis as unknown as { matrizVerifier: MatrizVerifier }).matrizVerifier.fetchEvidence(
        input,
      ),
    { leafIndex, earlierCheckpoint },
  );
}

/** Verifies `evidence` in the page (negative rows tamper with a copy first). */
async function verifyInPage(evidence: Evidence, options: VerifyOptions = {}): Promise<Report> {
  return page.evaluate(
    ({ evidence, options }) =>
      (globalThis as unknown as { matrizVerifier: MatrizVerifier }).matrizVerifier.verify(
        evidence,
        options,
      ),
    { evidence, options },
  );
}

/** A copy of `evidence` with `change` applied. */
function tampered(evidence: Evidence, change: (copy: Mutable<Evidence>) => void): Evidence {
  const copy = structuredClone(evidence) as Mutable<Evidence>;
  change(copy);
  return copy;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface SignedEnvelope {
  payload: string;
  payloadType: string;
  signatures: { keyid: string; sig: string }[];
}

describe.skipIf(!available && !required)('the pure verifier in a real browser (Chromium)', () => {
  beforeAll(async () => {
    if (!available)
      throw new Error(
        `MATRIZ_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}: DEBIAN_FRONTEND=noninteractive apt-get install -y chromium`,
      );
    work = mkdtempSync(path.join(os.tmpdir(), 'matriz-browser-'));
    dataDir = path.join(work, 'data');
    env = { MATRIZ_CONFIG_DIR: path.join(work, 'config'), MATRIZ_KEY_PASSPHRASE: PASSPHRASE };
    const bundling = bundleVerifier(work);
    launching = chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });

    // The log: trust root v1, a log key rotation (v2, both keys sign), a registration, the
    // first log key revoked, another registration (only the new key signs), the first key
    // retired (v3).
    server = await startServe(
      ['--data-dir', dataDir, '--origin', 'registry.test/browser', ...FAST],
      {
        MATRIZ_KEY_PASSPHRASE: PASSPHRASE,
      },
    );
    const init = await operator(['trust', 'init']);
    firstLogKey = (init.roles as { log: { keys: { keyid: string }[] } }).log.keys[0]?.keyid ?? '';
    expect((await operator(['keys', 'rotate', '--role', 'log'])).version).toBe(2);
    await register('browser-before-revocation');
    earlierCheckpoint = await (await fetch(`${server.url}/api/v1/log/checkpoint`)).text();
    await operator(['keys', 'revoke', firstLogKey, '--reason', 'browser test']);
    leafIndex = await register('browser-after-revocation');
    const retired = await operator(['keys', 'retire', firstLogKey]);
    expect(retired.version).toBe(3);
    // The retirement is a log entry too: the newest checkpoint covers it.
    treeSize = retired.checkpoint_size as number;
    const newest = (await (await fetch(`${server.url}/api/v1/trust/root`)).json()) as {
      payload: string;
    };
    newestExpires = (
      JSON.parse(Buffer.from(newest.payload, 'base64').toString('utf8')) as { expires: string }
    ).expires;

    bundle = await bundling;
    page = await (await launching).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // Ed25519's node:crypto probe fails to load by design (the noble fallback takes over).
      const probe =
        message.location().url === 'node:crypto' || message.text().includes("'node:crypto'");
      if (message.type() === 'error' && !probe)
        pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    pageUrl = await startPageServer(server.url, bundle.file);
    await page.goto(`${pageUrl}/`);
    await page
      .waitForFunction(() => 'matrizVerifier' in globalThis, undefined, { timeout: 10_000 })
      .catch((error: unknown) => {
        throw new Error(`the verifier bundle did not load: ${pageErrors.join('; ')}`, {
          cause: error,
        });
      });
  }, 120_000);

  afterAll(async () => {
    // Closed even when the set-up failed before it awaited the launch.
    await (await launching?.catch(() => undefined))?.close();
    const closing = pageServer;
    if (closing) await new Promise((resolve) => closing.close(resolve));
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('bundles for the browser without any import of a Node.js builtin', () => {
    // A static import of a builtin would have failed the build in beforeAll; dynamic ones are
    // listed here. Node.js modules are reached through process.getBuiltinModule instead.
    expect(bundle.dynamicBuiltins).toStrictEqual([]);
    expect(bundle.bytes).toBeGreaterThan(10_000);
    // The page runs the public export matriz/verify, which uses only the pure layers.
    expect(bundle.inputs).toContain('src/verify/index.ts');
    const ours = bundle.inputs.filter((file) => file.startsWith('src/'));
    expect(
      ours.filter((file) => !/^src\/(verify|log|trust|crypto|json|nodespec)\//.test(file)),
    ).toStrictEqual([]);
    console.info(`browser verifier bundle: ${(bundle.bytes / 1024).toFixed(1)} KiB (minified)`);
  });

  it('fails the bundle, naming the importer, when code imports a Node.js builtin statically', async () => {
    const entry = path.join(work, 'uses-fs.ts');
    writeFileSync(entry, "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n");
    await expect(bundleVerifier(path.join(work, 'bad'), entry)).rejects.toThrow(
      /uses-fs\.ts imports the Node\.js builtin "node:fs" \(import-statement\)/,
    );
  });

  it('walks v1 -> v3, verifies the revocation list, the checkpoint, inclusion and consistency (liboqs WebAssembly)', async () => {
    evidence = await fetchInPage();
    const report = await verifyInPage(evidence);
    expect(report.verdicts).toStrictEqual([
      { check: 'pinned-root', ok: true, detail: { version: 1 } },
      { check: 'root-chain', ok: true, detail: { versions: [1, 2, 3] } },
      { check: 'revocations', ok: true, detail: { version: 1, revoked: [firstLogKey] } },
      { check: 'checkpoint', ok: true, detail: { size: treeSize, rootVersion: 3 } },
      { check: 'inclusion', ok: true, detail: { index: leafIndex } },
      { check: 'consistency', ok: true, detail: { from: expect.any(Number), to: treeSize } },
    ]);
    // Ed25519 on @noble/curves (no node:crypto), ML-DSA-44 on liboqs's WebAssembly.
    expect(report.backends).toStrictEqual({ ed25519: 'noble', 'ml-dsa-44': 'liboqs' });
    expect(report.nodeGlobals).toStrictEqual({ process: false, buffer: false });
    // The page fetched every document from the registry (through its origin) itself.
    for (const fetched of [
      '/api/v1/trust/root/1',
      '/api/v1/trust/root/2',
      '/api/v1/trust/root/3',
      '/api/v1/trust/revocations',
      '/api/v1/log/checkpoint',
      `/api/v1/log/entries/${leafIndex}`,
      `/api/v1/log/proof/inclusion?index=${leafIndex}&size=${treeSize}`,
      '/dist/ml-dsa-44.min.js',
    ])
      expect(requested).toContain(fetched);
    expect(requested.some((url) => url.startsWith('/api/v1/log/proof/consistency?'))).toBe(true);
    expect(pageErrors).toStrictEqual([]);
  });

  it('takes a witness policy: an Ed25519 and an ML-DSA-44 witness cosign the served checkpoint, the page counts them and refuses a policy they do not meet', async () => {
    const keys = await (await fetch(`${server?.url ?? ''}/api/v1/log/keys`)).json();
    const ed25519 = await loadSignatureSuite('ed25519');
    const mlDsa44 = await loadSignatureSuite('ml-dsa-44');
    const logs = new Map([
      [
        'registry.test/browser',
        checkpointVerifierFor(keys as LogKeysDocument, { ed25519, mlDsa44 }),
      ],
    ]);
    let note = evidence.checkpoint;
    const vkeys: { vkey: string }[] = [];
    // One Ed25519 witness and one ML-DSA-44 witness (the post-quantum cosignature type).
    for (const [name, suite] of [
      ['witness.test/b1', ed25519],
      ['witness.test/b2', mlDsa44],
    ] as const) {
      const pair = suite.generateKeyPair();
      const witness = new Witness({
        name,
        publicKey: pair.publicKey,
        secretKey: pair.secretKey,
        suite,
        logs,
        stateDir: mkdtempSync(path.join(work, 'witness-')),
      });
      const answer = await witness.addCheckpoint(`old 0\n\n${evidence.checkpoint}`);
      expect(answer.status, answer.body).toBe(200);
      note += answer.body;
      vkeys.push({ vkey: witnessVerifierKey(name, pair.publicKey) });
    }
    const cosigned = { ...evidence, checkpoint: note };
    const met = await verifyInPage(cosigned, { witnessPolicy: { threshold: 2, witnesses: vkeys } });
    expect(met.verdicts.map((v) => v.check)).toStrictEqual([
      'pinned-root',
      'root-chain',
      'revocations',
      'checkpoint',
      'witnesses',
      'inclusion',
      'consistency',
    ]);
    expect(met.verdicts[4]).toStrictEqual({
      check: 'witnesses',
      ok: true,
      detail: { cosigned: ['witness.test/b1', 'witness.test/b2'] },
    });
    const third = {
      vkey: witnessVerifierKey('witness.test/b3', ed25519.generateKeyPair().publicKey),
    };
    const unmet = await verifyInPage(cosigned, {
      witnessPolicy: { threshold: 3, witnesses: [...vkeys, third] },
    });
    expect(unmet.verdicts.at(-1)).toMatchObject({
      check: 'witnesses',
      ok: false,
      code: 'unverified',
      message: expect.stringMatching(/cosigned by 2 of the witnesses the policy names/),
    });
    // The served checkpoint alone (no cosignatures) does not meet a policy either.
    const bare = await verifyInPage(evidence, {
      witnessPolicy: { threshold: 1, witnesses: vkeys },
    });
    expect(bare.verdicts.at(-1)).toMatchObject({
      check: 'witnesses',
      ok: false,
      code: 'unverified',
    });
    expect(pageErrors).toStrictEqual([]);
  });

  it('gives the same verdicts on the pure TypeScript backend (noble)', async () => {
    const report = await verifyInPage(evidence, { backend: 'noble' });
    expect(report.verdicts.map((v) => [v.check, v.ok])).toStrictEqual([
      ['pinned-root', true],
      ['root-chain', true],
      ['revocations', true],
      ['checkpoint', true],
      ['inclusion', true],
      ['consistency', true],
    ]);
    expect(report.backends).toStrictEqual({ ed25519: 'noble', 'ml-dsa-44': 'noble' });
  });

  it('falls back to noble for ML-DSA-44 when liboqs cannot load in the page, with the same verdicts', async () => {
    serveLiboqs = false;
    const fresh = await (await launching)?.newPage();
    try {
      await fresh?.goto(`${pageUrl}/`);
      await fresh?.waitForFunction(() => 'matrizVerifier' in globalThis);
      const report = await fresh?.evaluate(
        (evidence) =>
          (globalThis as unknown as { matrizVerifier: MatrizVerifier }).matrizVerifier.verify(
            evidence,
          ),
        evidence,
      );
      expect(report?.backends).toStrictEqual({ ed25519: 'noble', 'ml-dsa-44': 'noble' });
      expect(report?.verdicts.every((v) => v.ok)).toBe(true);
      expect(report?.verdicts).toHaveLength(6);
    } finally {
      serveLiboqs = true;
      await fresh?.close();
    }
  });

  it('refuses a tampered checkpoint, with the reason', async () => {
    const report = await verifyInPage(
      tampered(evidence, (e) => {
        e.checkpoint = e.checkpoint.replace(/\n(\d+)\n/, (_, n: string) => `\n${Number(n) + 1}\n`);
      }),
    );
    expect(report.verdicts.at(-1)).toMatchObject({
      check: 'checkpoint',
      ok: false,
      code: 'bad-signature',
      message: expect.stringMatching(/checkpoint refused under trust root v3/),
    });
  });

  it('refuses root v3 presented without v2 (gap) and an older root after a newer one (rollback)', async () => {
    const [v1, v2, v3] = evidence.roots;
    const gap = await verifyInPage(
      tampered(evidence, (e) => {
        e.roots = [v1, v3];
      }),
    );
    expect(gap.verdicts.at(-1)).toMatchObject({
      check: 'root-chain',
      ok: false,
      code: 'gap',
      message: expect.stringMatching(/trust root v3 follows v1.*fetch v2 first/),
    });
    const rollback = await verifyInPage(
      tampered(evidence, (e) => {
        e.roots = [v2, v1];
      }),
    );
    expect(rollback.verdicts.at(-1)).toMatchObject({
      check: 'root-chain',
      ok: false,
      code: 'rollback',
      message: expect.stringMatching(/trust root v1 is not newer than the trusted v2/),
    });
  });

  it('refuses an expired trust root (freeze)', async () => {
    const after = new Date(Date.parse(newestExpires) + 1000).toISOString();
    const report = await verifyInPage(evidence, { now: after });
    expect(report.verdicts.at(-1)).toMatchObject({
      check: 'root-chain',
      ok: false,
      code: 'expired',
      message: expect.stringMatching(/trust root v3 expired at/),
    });
  });

  it('refuses a root with an altered signature, and a leaf that is not the logged one', async () => {
    const forged = await verifyInPage(
      tampered(evidence, (e) => {
        const v2 = structuredClone(e.roots[1]) as SignedEnvelope;
        for (const signature of v2.signatures) {
          const bytes = Buffer.from(signature.sig, 'base64');
          bytes[0] = (bytes[0] ?? 0) ^ 1;
          signature.sig = bytes.toString('base64');
        }
        e.roots = [e.roots[0], v2, e.roots[2]];
      }),
    );
    expect(forged.verdicts.at(-1)).toMatchObject({
      check: 'root-chain',
      ok: false,
      code: 'threshold',
      message: expect.stringMatching(/trust root v2/),
    });
    const leaf = await verifyInPage(
      tampered(evidence, (e) => {
        const bytes = Buffer.from(e.leafB64, 'base64');
        bytes[bytes.length - 2] = (bytes[bytes.length - 2] ?? 0) ^ 1;
        e.leafB64 = bytes.toString('base64');
      }),
    );
    expect(leaf.verdicts.find((v) => v.check === 'inclusion')).toMatchObject({
      ok: false,
      code: 'inclusion-mismatch',
    });
    expect(pageErrors).toStrictEqual([]);
  });
});

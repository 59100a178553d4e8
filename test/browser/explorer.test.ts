/**
 * The web explorer (docs/explorer.md), driven by Playwright in Debian's Chromium against a real
 * `matriz serve` (its built dist/explorer) holding a few hundred nodes, a log key rotation and a
 * revocation. The browser reaches the registry through a loopback proxy that passes everything
 * through unchanged, or tampers with one kind of answer: a forged inclusion proof, a checkpoint
 * signed by the revoked log key, a rolled-back trust root. Each scenario runs in a fresh browser
 * context (its own localStorage, so its own pin). Every page is checked with axe-core and
 * photographed at desktop and phone width into docs/explorer/ (MATRIZ_WRITE_SCREENSHOTS=1) or a
 * temporary directory.
 *
 * Chromium missing: skipped with a message, unless MATRIZ_REQUIRE_BROWSER=1 (CI), then a failure.
 * Needs dist/ (`npm run build`), like every test that starts `matriz serve`.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { signerFor } from '../../src/crypto/dsse.js';
import { loadSignatureSuite } from '../../src/crypto/suites.js';
import { RegistryClient, type OwnerKey } from '../../src/client/index.js';
import { signCheckpoint } from '../../src/log/checkpoint-signature.js';
import type { NodeSpec } from '../../src/nodespec/nodespec.js';
import { openKeyProvider } from '../../src/operator/data-dir.js';
import { Keyring } from '../../src/operator/keyring.js';
import { peekCheckpoint } from '../../src/verify/index.js';
import { captureIo } from '../support/cli.js';
import { LEGACY_SAMPLE_DIR, legacySample } from '../support/legacy-store.js';
import { makeOwner, type Owner } from '../support/registry.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const CHROMIUM = process.env.MATRIZ_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const required = process.env.MATRIZ_REQUIRE_BROWSER === '1';
const ROOT = path.resolve(import.meta.dirname, '../..');
const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
const SCREENSHOTS =
  process.env.MATRIZ_WRITE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/explorer') : undefined;

if (!available && !required)
  console.warn(
    `test/browser/explorer skipped: no Chromium at ${CHROMIUM} (apt-get install chromium); MATRIZ_REQUIRE_BROWSER=1 makes this a failure`,
  );

const PASSPHRASE = 'correct horse battery staple';
const ORIGIN = 'registry.test/explorer';
const FAST = ['--key-scrypt-log-n', '10'];
const NODES = 240;
const SIGNALS = 23;

type Tamper = 'none' | 'forged-inclusion' | 'revoked-checkpoint' | 'rolled-back-root';

let work: string;
let dataDir: string;
let shots: string;
let server: ServeProcess | undefined;
let proxy: Server | undefined;
let proxyUrl: string;
let browser: Browser | undefined;
let tamper: Tamper = 'none';
/** A note for the current tree signed only by the revoked log key, after its revocation. */
let revokedNote: string;
/** The tree size once the scenario is written (before the last test adds a node). */
let treeSize: number;
let rootV1: Buffer;
const pageErrors: string[] = [];

async function operator(args: string[]): Promise<Record<string, unknown>> {
  const io = captureIo({
    cwd: work,
    env: { MATRIZ_CONFIG_DIR: path.join(work, 'config'), MATRIZ_KEY_PASSPHRASE: PASSPHRASE },
  });
  const code = await main([...args, '--data-dir', dataDir, ...FAST, '--json'], io);
  expect(code, `matriz ${args.join(' ')}: ${io.err()}`).toBe(0);
  return JSON.parse(io.out()) as Record<string, unknown>;
}

/** Node `i`: the example NodeSpec renamed, with signals from a small vocabulary. */
function nodeSpec(owner: { spec(name?: string): NodeSpec }, i: number): NodeSpec {
  const spec = owner.spec(`explorer_node_${String(i).padStart(3, '0')}`);
  const signal = (k: number) => `signal_${String(k % SIGNALS).padStart(2, '0')}`;
  spec.interfaces.signals = {
    emits: [{ name: signal(i) }],
    subscribes: [{ signal: signal(i * 7 + 3), handler: 'on_signal' }],
  };
  return spec;
}

/** The three owners of the nodes (node i belongs to owner i % 3), their keys, one client. */
let writers: { owners: Owner[]; keys: OwnerKey[]; client: RegistryClient } | undefined;

async function theWriters(): Promise<NonNullable<typeof writers>> {
  if (writers === undefined) {
    const owners = await Promise.all([makeOwner(), makeOwner(), makeOwner()]);
    const suite = await loadSignatureSuite('ml-dsa-44');
    writers = {
      owners,
      keys: owners.map((owner) => ({
        key: owner.key,
        signer: signerFor(owner.key, owner.secretKey, suite),
        ownerId: owner.ownerId,
      })),
      client: new RegistryClient({
        server: server?.url ?? '',
        stateDir: path.join(work, 'client'),
      }),
    };
  }
  return writers;
}

/** Registers nodes `start` to `start + count - 1`, 16 at a time, through the client SDK. */
async function seed(start: number, count: number, version = '0.1.0'): Promise<void> {
  const { owners, keys, client } = await theWriters();
  let next = start;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < start + count) {
        const i = next++;
        const owner = owners[i % owners.length];
        const key = keys[i % keys.length];
        if (owner === undefined || key === undefined) throw new Error('no owner');
        const spec = nodeSpec(owner, i);
        spec.metadata.version = version;
        await client.register(spec, key);
      }
    }),
  );
}

/**
 * Passes /, /explorer/*, /api/* and /tile/* through to the registry, tampering as set; under
 * /registry/ the same with that prefix removed, as a reverse proxy serving it under a path does.
 */
async function startProxy(registry: string): Promise<string> {
  const app = createServer((request, response) => {
    const url = (request.url ?? '/').replace(/^\/registry\//, '/');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        if (tamper === 'revoked-checkpoint' && url === '/api/v1/log/checkpoint') {
          response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(revokedNote);
          return;
        }
        if (tamper === 'rolled-back-root' && url === '/api/v1/trust/root') {
          response.writeHead(200, { 'content-type': 'application/json' }).end(rootV1);
          return;
        }
        const upstream = await fetch(`${registry}${url}`, {
          method: request.method ?? 'GET',
          headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
          ...(request.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        });
        let body = Buffer.from(await upstream.arrayBuffer());
        if (tamper === 'forged-inclusion' && url.startsWith('/api/v1/log/proof/inclusion?')) {
          const proof = JSON.parse(body.toString('utf8')) as { hashes: string[] };
          const first = Buffer.from(proof.hashes[0] ?? '', 'base64');
          first[0] = (first[0] ?? 0) ^ 1;
          proof.hashes[0] = first.toString('base64');
          body = Buffer.from(JSON.stringify(proof));
        }
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'content-security-policy', 'cache-control', 'etag']) {
          const value = upstream.headers.get(name);
          if (value !== null) headers[name] = value;
        }
        response.writeHead(upstream.status, headers).end(body);
      })().catch((error: unknown) => {
        response.writeHead(502).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  proxy = app;
  return `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
}

async function newPage(context?: BrowserContext): Promise<Page> {
  if (browser === undefined) throw new Error('no browser');
  const page = await (context ?? (await browser.newContext())).newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // A 404 the explorer expects: a log without a revocation list (or trust root) yet.
    const expected404 =
      /\/api\/v1\/(trust\/(root|revocations)|registry\/nope%401\.0\.0)$/.test(
        message.location().url,
      ) && message.text().includes('404');
    if (message.type() === 'error' && !expected404)
      pageErrors.push(`${message.text()} (${message.location().url})`);
  });
  return page;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2.1 A/AA rules on the page as it is; the violations. */
async function axe(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses an inline script.
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const run = (
      globalThis as unknown as {
        axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> };
      }
    ).axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return (await run).violations;
  });
  return (violations as AxeViolation[]).map(
    (v) => `${v.id} (${v.impact ?? '?'}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** Screenshots at desktop and phone width, then the accessibility check at both widths. */
async function photographAndCheck(page: Page, name: string): Promise<void> {
  for (const [width, height, suffix] of [
    [1280, 900, 'desktop'],
    [390, 844, 'phone'],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => {
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0);
    });
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(shots, `${name}-${suffix}.png`), fullPage: false });
    expect(await axe(page), `${name} at ${suffix} width`).toStrictEqual([]);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe.skipIf(!available && !required)('the web explorer in a real browser (Chromium)', () => {
  beforeAll(async () => {
    if (!available)
      throw new Error(
        `MATRIZ_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}: DEBIAN_FRONTEND=noninteractive apt-get install -y chromium`,
      );
    if (!existsSync(path.join(ROOT, 'dist/explorer/app.js')))
      throw new Error('dist/explorer is not built: npm run build');
    work = mkdtempSync(path.join(os.tmpdir(), 'matriz-explorer-'));
    dataDir = path.join(work, 'data');
    shots = SCREENSHOTS ?? path.join(work, 'shots');
    mkdirSync(shots, { recursive: true });
    const launching = chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });

    // Trust root v1, the log key rotated (v2: both keys sign), the nodes, the first log key
    // revoked, one more node (only the new key signs).
    server = await startServe(['--data-dir', dataDir, '--origin', ORIGIN, ...FAST], {
      MATRIZ_KEY_PASSPHRASE: PASSPHRASE,
    });
    const init = await operator(['trust', 'init']);
    const firstLogKey =
      (init.roles as { log: { keys: { keyid: string }[] } }).log.keys[0]?.keyid ?? '';
    expect((await operator(['keys', 'rotate', '--role', 'log'])).version).toBe(2);
    await seed(0, NODES);
    await operator(['keys', 'revoke', firstLogKey, '--reason', 'explorer test']);
    await seed(NODES, 1);
    // The third owner's key is lost: its entries (node i with i % 3 == 2) carry owner_revoked_at
    // once the server has read the new revocation list (at its next append, the writes below).
    const { keys, client } = await theWriters();
    const lost = keys[2];
    if (lost === undefined) throw new Error('no owner');
    await operator(['keys', 'revoke', lost.key.keyid, '--reason', 'owner laptop stolen']);
    // Node 3 gets a second version, and its first is deregistered.
    await seed(3, 1, '0.2.0');
    const [owner3] = keys; // node 3 belongs to owner 3 % 3
    if (owner3 === undefined) throw new Error('no owner');
    await client.deregister('explorer_node_003@0.1.0', owner3);
    rootV1 = Buffer.from(await (await fetch(`${server.url}/api/v1/trust/root/1`)).arrayBuffer());

    // The attacker holds the revoked key: a checkpoint of the current tree signed by it alone.
    const provider = await openKeyProvider(
      dataDir,
      { MATRIZ_KEY_PASSPHRASE: PASSPHRASE },
      () => undefined,
    );
    const keyring = new Keyring(dataDir, ORIGIN, provider);
    const [first] = await keyring.logKeyFiles();
    if (first === undefined) throw new Error('no log key files');
    const latest = await (await fetch(`${server.url}/api/v1/log/checkpoint`)).text();
    treeSize = peekCheckpoint(latest).size;
    revokedNote = await signCheckpoint(
      peekCheckpoint(latest),
      await keyring.checkpointSigner(first),
      Math.floor(Date.now() / 1000),
    );

    proxyUrl = await startProxy(server.url);
    browser = await launching;
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    const closing = proxy;
    if (closing) await new Promise((resolve) => closing.close(resolve));
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves the explorer at / with a strict Content-Security-Policy', async () => {
    const response = await fetch(`${server?.url ?? ''}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(await response.text()).toContain('<script type="module" src="explorer/app.js">');
    expect((await fetch(`${server?.url ?? ''}/explorer/../registry.sqlite3`)).status).toBe(404);
    expect((await fetch(`${server?.url ?? ''}/explorer/nope.js`)).status).toBe(404);
  });

  it('searches by signal with the query in the URL, pages, opens a node, and earns the verified badge', async () => {
    tamper = 'none';
    const page = await newPage();
    await page.goto(`${proxyUrl}/#/search`);
    await expect
      .poll(() => page.locator('#trust-status').getAttribute('class'), { timeout: 30_000 })
      .toContain('trust-ok');
    expect(await page.locator('#trust-status').textContent()).toMatch(
      /verified in this browser .* under trust root version 2, pinned now/,
    );
    await photographAndCheck(page, 'search');

    await page.getByLabel('Signal (emitted or subscribed)').fill('signal_05');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/#\/search\?signal=signal_05$/);
    const rows = page.locator('table.results tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    // Every node i with i % 23 == 5 emits it; those with (7i + 3) % 23 == 5 subscribe to it.
    const expected = Array.from({ length: NODES + 1 }, (_, i) => i).filter(
      (i) => i % SIGNALS === 5 || (i * 7 + 3) % SIGNALS === 5,
    ).length;
    expect(expected).toBe(21);
    await expect.poll(() => page.locator('.result-count').textContent()).toContain('21 nodes');
    const listed = await page.locator('table.results tbody tr td:first-child a').allTextContents();
    expect(listed).toContain('explorer_node_005@0.1.0'); // emits it
    expect(listed).toContain('explorer_node_020@0.1.0'); // subscribes to it
    expect(listed).not.toContain('explorer_node_006@0.1.0');

    // The name filter, and the next page through the cursor.
    await page.goto(`${proxyUrl}/#/search?name=explorer_node_1`);
    await expect.poll(() => rows.count()).toBe(25);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=explorer_node_124/);
    await expect.poll(() => rows.first().textContent()).toContain('explorer_node_125@0.1.0');

    await page.getByRole('link', { name: 'explorer_node_125@0.1.0' }).click();
    await page.waitForURL(/#\/node\/explorer_node_125%400\.1\.0$/);
    const badge = page.locator('#verify-badge');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');
    expect(await page.locator('.checks').textContent()).toMatch(
      /versions 1 → 2; revocation list version 2 \(2 revoked\).*Log entry \d+ is in that tree/,
    );
    expect(await page.getByRole('heading', { name: 'Emits' }).isVisible()).toBe(true);
    // Node 125 belongs to the owner whose key was revoked; the entry stays verified.
    expect(await page.locator('#owner-revoked').textContent()).toMatch(
      /^The owner's key was revoked at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );
    await expect
      .poll(() => page.locator('#versions li').allTextContents())
      .toStrictEqual([
        expect.stringMatching(/^explorer_node_125@0\.1\.0 \(candidate, tier 2, log entry \d+\)$/),
      ]);
    await page.getByRole('button', { name: /Show the raw NodeSpec JSON/ }).click();
    expect(await page.locator('#raw-json').textContent()).toContain('"explorer_node_125"');
    await photographAndCheck(page, 'node');
    expect(pageErrors).toStrictEqual([]);
    await page.context().close();
  }, 120_000);

  it('shows the signal graph with its orphans, the log with trust events and a consistency proof, and validates a NodeSpec', async () => {
    tamper = 'none';
    const page = await newPage();
    await page.goto(`${proxyUrl}/#/graph`);
    await expect
      .poll(() => page.locator('#graph-canvas').getAttribute('data-settled-ms'), {
        timeout: 60_000,
      })
      .not.toBeNull();
    expect(await page.locator('#graph-summary').textContent()).toContain(
      `${NODES + 1} nodes, ${SIGNALS} signals`,
    );
    await photographAndCheck(page, 'graph');
    // Zoom: buttons (keyboard-usable) and the wheel, around the pointer; Fit goes back.
    const canvas = page.locator('#graph-canvas');
    await page.getByRole('button', { name: 'Zoom in' }).click();
    expect(await canvas.getAttribute('data-zoom')).toBe('1.5');
    await page.getByRole('button', { name: 'Zoom out' }).click();
    await page.getByRole('button', { name: 'Zoom out' }).click();
    expect(await canvas.getAttribute('data-zoom')).toBe('0.67');
    await canvas.hover();
    await page.mouse.wheel(0, -500);
    await expect.poll(() => canvas.getAttribute('data-zoom')).toBe('1.81');
    await page.getByRole('button', { name: 'Fit' }).click();
    expect(await canvas.getAttribute('data-zoom')).toBe('1');
    // Clicking a signal's dot (found on the canvas by its colour, #c0392b) names the signal.
    const dot = await canvas.evaluate((element) => {
      const canvasElement = element as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const { width, height } = canvasElement;
      const { data } = canvasElement.getContext('2d').getImageData(0, 0, width, height);
      for (let i = 0; i < data.length; i += 4)
        if (data[i] === 0xc0 && data[i + 1] === 0x39 && data[i + 2] === 0x2b && data[i + 3] === 255)
          return { x: (i / 4) % width, y: Math.floor(i / 4 / width) };
      return null;
    });
    if (dot === null) throw new Error('no signal drawn on the canvas');
    const box = await canvas.boundingBox();
    await page.mouse.click((box?.x ?? 0) + dot.x + 1, (box?.y ?? 0) + dot.y + 1);
    await expect
      .poll(() => page.locator('.graph-selection').textContent())
      .toMatch(/^Signal signal_\d\d: emitted by \d+, subscribed to by \d+$/);
    // Filtered by signal: only that signal's nodes are loaded.
    await page.getByLabel('Nodes that emit or subscribe to signal').fill('signal_05');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/#\/graph\?signal=signal_05$/);
    await expect
      .poll(() => page.locator('#graph-summary').textContent())
      .not.toContain('241 nodes');

    await page.goto(`${proxyUrl}/#/log`);
    await expect.poll(() => page.locator('#newest-entries tbody tr').count()).toBe(20);
    await expect.poll(() => page.locator('#trust-roots li').count()).toBe(2);
    expect(await page.locator('#revocations').textContent()).toContain('explorer test');
    expect(await page.locator('#trust-records').textContent()).toMatch(/revocations/);
    await page.getByLabel('From size').fill('10');
    await page.getByLabel('To size').fill('200');
    await page.getByRole('button', { name: 'Check' }).click();
    await expect
      .poll(() => page.locator('#consistency-result').textContent(), { timeout: 20_000 })
      .toMatch(/The tree of size 10 .* is a prefix of the tree of size 200/);
    // The result's re-render keeps what was typed.
    expect(await page.getByLabel('From size').inputValue()).toBe('10');
    expect(await page.getByLabel('To size').inputValue()).toBe('200');
    await photographAndCheck(page, 'log');

    await page.goto(`${proxyUrl}/#/validate`);
    const broken = JSON.stringify({ metadata: { name: 'x' } }, null, 2);
    await page.getByLabel(/NodeSpec JSON/).fill(broken);
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => page.locator('#validate-verdict').textContent()).toContain('Not valid');
    expect(await page.locator('.findings li').first().textContent()).toMatch(/^\d+:\d+ error/);
    await photographAndCheck(page, 'validate');
    expect(pageErrors).toStrictEqual([]);
    await page.context().close();
  }, 180_000);

  it('lists every version of a node, the deregistered one too, and verifies each', async () => {
    tamper = 'none';
    const page = await newPage();
    await page.goto(`${proxyUrl}/#/node/explorer_node_003%400.2.0`);
    const badge = page.locator('#verify-badge');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');
    await expect
      .poll(() => page.locator('#versions li').allTextContents())
      .toStrictEqual([
        expect.stringMatching(
          /^explorer_node_003@0\.1\.0 \(candidate, tier 2, log entry \d+; deregistered at log entry \d+\)$/,
        ),
        expect.stringMatching(/^explorer_node_003@0\.2\.0 \(candidate, tier 2, log entry \d+\)$/),
      ]);
    await page.getByRole('link', { name: 'explorer_node_003@0.1.0' }).click();
    await page.waitForURL(/#\/node\/explorer_node_003%400\.1\.0$/);
    await expect
      .poll(() => page.locator('.facts dd').first().textContent())
      .toMatch(/^deregistered \(deregistered at log entry \d+\)$/);
    // Its registration is still in the log, proven like any other.
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');
    expect(pageErrors).toStrictEqual([]);
    await page.context().close();
  }, 60_000);

  it('works behind a reverse proxy that serves the registry under a path', async () => {
    tamper = 'none';
    const page = await newPage();
    await page.goto(`${proxyUrl}/registry/#/node/explorer_node_042%400.1.0`);
    const badge = page.locator('#verify-badge');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');
    await page.goto(`${proxyUrl}/registry/#/log`);
    await expect.poll(() => page.locator('#newest-entries tbody tr').count()).toBe(20);
    // A node that does not exist: the registry's problem, in one line.
    await page.goto(`${proxyUrl}/registry/#/node/nope%401.0.0`);
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('nope@1.0.0 is not registered (not-found)');
    expect(pageErrors).toStrictEqual([]);
    await page.context().close();
  }, 60_000);

  it('shows the failure when the server forges an inclusion proof', async () => {
    tamper = 'forged-inclusion';
    const page = await newPage();
    await page.goto(`${proxyUrl}/#/node/explorer_node_007%400.1.0`);
    const badge = page.locator('#verify-badge');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 30_000 }).toBe('failed');
    expect(await badge.getAttribute('data-step')).toBe('inclusion');
    expect(await badge.getAttribute('data-code')).toBe('inclusion-mismatch');
    await page.screenshot({ path: path.join(shots, 'node-forged-proof-desktop.png') });
    await page.context().close();
  }, 60_000);

  it('shows the failure when the checkpoint is signed by the revoked log key', async () => {
    tamper = 'revoked-checkpoint';
    const page = await newPage();
    await page.goto(`${proxyUrl}/#/node/explorer_node_007%400.1.0`);
    const banner = page.locator('#trust-status');
    await expect.poll(() => banner.getAttribute('class'), { timeout: 30_000 }).toContain('warning');
    expect(await banner.getAttribute('data-step')).toBe('checkpoint');
    expect(await banner.textContent()).toMatch(/revoked/);
    const badge = page.locator('#verify-badge');
    await expect.poll(() => badge.getAttribute('data-state')).toBe('failed');
    await page.screenshot({ path: path.join(shots, 'node-revoked-key-desktop.png') });
    await page.context().close();
  }, 60_000);

  it('pins the trust root on the first visit and warns when a later visit does not chain from it', async () => {
    tamper = 'none';
    const context = await browser?.newContext();
    const page = await newPage(context);
    await page.goto(`${proxyUrl}/#/log`);
    const banner = page.locator('#trust-status');
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toContain('pinned now');
    await page.reload();
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toMatch(/pinned \d{4}-/);

    tamper = 'rolled-back-root';
    await page.reload();
    await expect.poll(() => banner.getAttribute('class'), { timeout: 30_000 }).toContain('warning');
    expect(await banner.getAttribute('data-step')).toBe('root-chain');
    expect(await banner.textContent()).toMatch(/version 1, older than version 2 pinned here/);

    // Forgetting the pin is a deliberate act; then the served (rolled-back) root is trusted anew.
    tamper = 'none';
    await page.getByRole('button', { name: /Forget the pinned keys/ }).click();
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toContain('pinned now');
    await context?.close();
  }, 90_000);

  it('verifies a node written after the page verified its checkpoint against a newer, consistent one', async () => {
    tamper = 'none';
    const page = await newPage();
    await page.goto(`${proxyUrl}/#/log`);
    const banner = page.locator('#trust-status');
    await expect
      .poll(() => banner.textContent(), { timeout: 30_000 })
      .toContain(`checkpoint of ${treeSize} entries`);
    await seed(NODES + 1, 1);
    // Same tab, no reload: the hash changes to the new node's page.
    await page.evaluate(() => {
      (globalThis as unknown as { location: { hash: string } }).location.hash =
        '#/node/explorer_node_241%400.1.0';
    });
    const badge = page.locator('#verify-badge');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 30_000 }).toBe('verified');
    expect(await banner.textContent()).toMatch(
      new RegExp(`checkpoint of ${treeSize + 1} entries .* append-only since size ${treeSize}`),
    );
    expect(pageErrors).toStrictEqual([]);
    await page.context().close();
  }, 60_000);

  it('verifies an entry imported from the prototype registry (the shared sample) by its import record, and says the owner did not sign it', async () => {
    // A registry of its own: the sample's entries would change the counts above.
    const legacyDir = path.join(work, 'legacy-data');
    const env = {
      MATRIZ_CONFIG_DIR: path.join(work, 'legacy-config'),
      MATRIZ_KEY_PASSPHRASE: PASSPHRASE,
      LEGACY_KEY: legacySample().key,
    };
    const legacy = await startServe(
      ['--data-dir', legacyDir, '--origin', 'registry.test/legacy', ...FAST],
      env,
    );
    try {
      for (const args of [
        ['trust', 'init'],
        [
          'import-legacy',
          '--store',
          path.join(LEGACY_SAMPLE_DIR, 'registry_store.json'),
          '--sig',
          path.join(LEGACY_SAMPLE_DIR, 'checkpoint.sig'),
          '--hmac-key-env',
          'LEGACY_KEY',
        ],
      ]) {
        const io = captureIo({ cwd: work, env });
        expect(
          await main([...args, '--data-dir', legacyDir, ...FAST, '--json'], io),
          io.err(),
        ).toBe(0);
      }
      const page = await newPage();
      await page.goto(`${legacy.url}/#/node/memoria_adapter_episodic%400.1.0`);
      const badge = page.locator('#verify-badge');
      await expect
        .poll(() => badge.getAttribute('data-state'), { timeout: 30_000 })
        .toBe('verified');
      expect(await page.locator('.checks').textContent()).toMatch(
        /is the operator's import of exactly this NodeSpec from the prototype registry, signed by the trust root's enrolment role \(the owner did not sign it\); not yet claimed by its owner/,
      );
      // Another imported node in the same tab.
      await page.evaluate(() => {
        (globalThis as unknown as { location: { hash: string } }).location.hash =
          '#/node/oneiric_kernel_bridge%402.0.0-rc1';
      });
      await expect.poll(() => page.locator('#node-title').textContent()).toContain('oneiric');
      await expect
        .poll(() => badge.getAttribute('data-state'), { timeout: 30_000 })
        .toBe('verified');
      expect(pageErrors).toStrictEqual([]);
      await page.context().close();
    } finally {
      await legacy.stop();
    }
  }, 90_000);
});

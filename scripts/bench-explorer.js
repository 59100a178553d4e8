#!/usr/bin/env node
/**
 * `npm run bench:explorer`: the explorer's signal graph at scale, in headless Chromium
 * (Debian's, driven by playwright-core). A registry of N entries (default 10,000) is built
 * directly in the store (as `matriz bench query` does: the bench NodeSpec renamed, signals from a
 * vocabulary of 200 plus one that every node emits), served by a real `matriz serve`, and
 * `/#/graph` is opened. Reported, in ms since navigation began: the first frame of the graph
 * (bundle, every page of entries fetched, graph built, drawn), the layout settled, and the
 * longest gap between two animation frames while the layout ran (how long the page could not
 * answer input). Baseline in the same run: the same entry pages fetched by Node.js alone.
 *
 *   npm run build && npm run bench:explorer -- [--entries 10000] [--runs 3] [--json]
 *
 * Needs dev dependencies (playwright-core) and Chromium (MATRIZ_CHROMIUM, default
 * /usr/bin/chromium). Target (issue 20): the graph of 10,000 nodes drawn in under 2 s.
 */
/* global performance, fetch, document -- Node.js globals, and the page's in page.waitForFunction */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.MATRIZ_CHROMIUM ?? '/usr/bin/chromium';
const TARGET_FIRST_DRAW_MS = 2000;

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const entries = Number(values.entries);
const runs = Number(values.runs);
if (!Number.isSafeInteger(entries) || entries < 1 || !Number.isSafeInteger(runs) || runs < 1) {
  console.error('bench:explorer: --entries and --runs must be positive integers');
  process.exit(2);
}
if (!existsSync(path.join(ROOT, 'dist/explorer/app.js')) || !existsSync(CHROMIUM)) {
  console.error(
    `bench:explorer: needs the build (npm run build) and Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );
  process.exit(2);
}
const progress = (message) => {
  if (!values.json) console.error(message);
};

const { buildRegistry } = await import(path.join(ROOT, 'dist/src/bench/query.js'));
const { startBenchServer } = await import(path.join(ROOT, 'dist/src/bench/registry-server.js'));
const { chromium } = await import('playwright-core');

/** Fetches every page of entries as the graph page does (view=full, 500 per page). */
async function fetchAll(base) {
  const started = performance.now();
  let cursor = '';
  let count = 0;
  let bytes = 0;
  for (;;) {
    const response = await fetch(
      `${base}/api/v1/registry/query?limit=500${cursor === '' ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    const text = await response.text();
    bytes += text.length;
    const page = JSON.parse(text);
    count += page.entries.length;
    if (page.next_cursor === null) break;
    cursor = page.next_cursor;
  }
  return { ms: performance.now() - started, count, bytes };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const work = await mkdtemp(path.join(os.tmpdir(), 'matriz-bench-explorer-'));
const passphrase = createHash('sha256').update(String(Math.random())).digest('hex');
const dataDir = path.join(work, 'data');
let server;
let browser;
try {
  const example = JSON.parse(
    await readFile(path.join(ROOT, 'examples/telemetry_probe.json'), 'utf8'),
  );
  await buildRegistry(dataDir, passphrase, { entries, example, progress });
  server = await startBenchServer(path.join(ROOT, 'bin/matriz.js'), progress, {
    dataDir,
    passphrase,
    origin: 'bench.local/query',
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  await fetchAll(server.url); // warm-up: JIT, page cache, answer cache
  const samples = [];
  for (let run = 1; run <= runs; run++) {
    const baseline = await fetchAll(server.url);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/#/graph`);
    const canvas = page.locator('#graph-canvas');
    await canvas.waitFor({ timeout: 120_000 });
    await page.waitForFunction(
      () => document.getElementById('graph-canvas')?.dataset.settledMs !== undefined,
      undefined,
      { timeout: 300_000, polling: 200 },
    );
    const data = await canvas.evaluate((element) => ({ ...element.dataset }));
    const summary = await page.locator('#graph-summary').textContent();
    await context.close();
    const sample = {
      run,
      nodes: Number(/^(\d+) nodes/.exec(summary ?? '')?.[1] ?? 0),
      first_draw_ms: Number(data.firstDrawMs),
      load_and_build_ms: Number(data.loadMs),
      settled_ms: Number(data.settledMs),
      layout_ticks: Number(data.ticks),
      longest_frame_ms: Number(data.longestFrameMs),
      baseline_fetch_ms: Math.round(baseline.ms),
      baseline_bytes: baseline.bytes,
    };
    samples.push(sample);
    progress(
      `run ${run}: ${sample.nodes} nodes, first draw ${sample.first_draw_ms} ms (pages fetched and graph built in ${sample.load_and_build_ms} ms; Node.js alone fetches them in ${sample.baseline_fetch_ms} ms), layout settled at ${sample.settled_ms} ms after ${sample.layout_ticks} ticks, longest frame ${sample.longest_frame_ms} ms`,
    );
  }
  const firstDraw = median(samples.map((s) => s.first_draw_ms));
  const baseline = median(samples.map((s) => s.baseline_fetch_ms));
  const result = {
    entries,
    runs: samples,
    median_first_draw_ms: firstDraw,
    median_baseline_fetch_ms: baseline,
    first_draw_over_baseline: Math.round((firstDraw / baseline) * 100) / 100,
    median_settled_ms: median(samples.map((s) => s.settled_ms)),
    max_longest_frame_ms: Math.max(...samples.map((s) => s.longest_frame_ms)),
    target_first_draw_ms: TARGET_FIRST_DRAW_MS,
    pass: firstDraw < TARGET_FIRST_DRAW_MS,
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else
    console.log(
      `graph of ${entries} nodes: first draw ${firstDraw} ms (median of ${runs}; target < ${TARGET_FIRST_DRAW_MS} ms: ${result.pass ? 'met' : 'NOT met'}), ${result.first_draw_over_baseline}x the ${baseline} ms Node.js needs to fetch the same pages; layout settled at ${result.median_settled_ms} ms; longest frame ${result.max_longest_frame_ms} ms`,
    );
} finally {
  await browser?.close();
  await server?.stop();
  await rm(work, { recursive: true, force: true });
}

#!/usr/bin/env node
/**
 * Summarises V8 .cpuprofile files (node --cpu-prof): per file (one per thread), how long the
 * profile ran, how much of it was idle, and the functions with the most self time (with
 * `--inclusive`: the most time with their callees).
 *
 *     node scripts/cpuprofile-summary.js prof/*.cpuprofile [--top 25] [--inclusive]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt === -1 ? 25 : Number(args.splice(topAt, 2)[1]);
const inclusiveAt = args.indexOf('--inclusive');
const inclusive = inclusiveAt !== -1;
if (inclusive) args.splice(inclusiveAt, 1);

for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  // timeDeltas[i] is the time before samples[i]; attribute it to that sample's node.
  profile.samples.forEach((id, i) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (node) => {
    const frame = node.callFrame;
    const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : '';
    return `${frame.functionName || '(anonymous)'} ${where}`.trim();
  };
  const totals = new Map();
  let all = 0;
  for (const [id, micros] of selfMicros) {
    all += micros;
    if (!inclusive) {
      const key = keyOf(byId.get(id));
      totals.set(key, (totals.get(key) ?? 0) + micros);
      continue;
    }
    // Inclusive: the sample counts once for every distinct function on its stack.
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(byId.get(at));
      if (seen.has(key)) continue;
      seen.add(key);
      totals.set(key, (totals.get(key) ?? 0) + micros);
    }
  }
  const idle = totals.get('(idle)') ?? 0;
  const busy = all - idle;
  console.log(
    `\n${path.basename(file)}: ${(all / 1e6).toFixed(2)} s sampled, busy ${(busy / 1e6).toFixed(2)} s (${((100 * busy) / Math.max(1, all)).toFixed(1)} %)`,
  );
  const rows = [...totals]
    .filter(([key]) => key !== '(idle)' && key !== '(root)')
    .sort((a, b) => b[1] - a[1]);
  for (const [key, micros] of rows.slice(0, top))
    console.log(
      `  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${((100 * micros) / Math.max(1, busy)).toFixed(1).padStart(5)} % of busy  ${key}`,
    );
}

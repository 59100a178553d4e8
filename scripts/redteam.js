#!/usr/bin/env node
// npm run test:redteam [-- --report FILE] [vitest arguments]: runs the red-team suite
// (test/redteam) with vitest. With --report FILE it adds a reporter that writes the run as a
// Markdown table (case, attack, expected, observed, verdict; test/redteam/report/). Every other
// argument goes to vitest unchanged. Exits with vitest's status.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const env = { ...process.env };
const vitestArgs = ['run'];

const at = args.findIndex((arg) => arg === '--report' || arg.startsWith('--report='));
if (at >= 0) {
  const arg = args[at];
  const file = arg === '--report' ? args[at + 1] : arg.slice('--report='.length);
  if (!file || file.startsWith('--')) {
    console.error('--report needs a file name: npm run test:redteam -- --report redteam.md');
    process.exit(2);
  }
  args.splice(at, arg === '--report' ? 2 : 1);
  env.MATRIZ_REDTEAM_REPORT = path.resolve(file);
  vitestArgs.push(
    '--reporter=default',
    `--reporter=${path.join(root, 'test/redteam/report/markdown-reporter.ts')}`,
  );
}
// Without file filters or another configuration, the suite is test/redteam.
const takesValue = new Set(['--config', '-c', '--testNamePattern', '-t', '--project']);
const hasFilter = args.some((arg, i) => !arg.startsWith('-') && !takesValue.has(args[i - 1] ?? ''));
const hasConfig = args.some((arg) => /^(--config|-c)(=|$)/.test(arg));
if (!hasFilter && !hasConfig) vitestArgs.push('test/redteam');

const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const run = spawnSync(process.execPath, [vitest, ...vitestArgs, ...args], {
  cwd: process.cwd(),
  env,
  stdio: 'inherit',
});
if (run.error) {
  console.error(`cannot run vitest: ${run.error.message}`);
  process.exit(2);
}
if (run.status === 0 && env.MATRIZ_REDTEAM_REPORT)
  console.log(`red-team report: ${path.relative(process.cwd(), env.MATRIZ_REDTEAM_REPORT)}`);
process.exit(run.status ?? 1);

/**
 * `matriz audit`: check a whole log from its tiles (client/log-audit.ts). Exit 0 clean; 1 leaves
 * the registry should not have logged; 3 the tiles or checkpoint do not verify; 4 fork or
 * rollback against what this client saw before; 5 no usable answer; 2 usage.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadSignatureSuite } from '../../crypto/suites.js';
import { configDir, loadLogState, saveLogState } from '../../client/client-state.js';
import {
  AuditForkError,
  auditLog,
  checkpointOrigin,
  type AuditReport,
} from '../../client/log-audit.js';
import { checkpointVerifierFor, VerificationError } from '../../client/log-verifier.js';
import { RegistryClient } from '../../client/registry-client.js';
import { TileMissingError, tileSource, type TileSource } from '../../client/tile-source.js';
import type { CheckpointKeySet, CheckpointVerifier } from '../../log/checkpoint-signature.js';
import type { Checkpoint } from '../../log/checkpoint.js';
import { checkpointKeysFromRoot } from '../../trust/checkpoint.js';
import { peekRevocationList } from '../../trust/revocations.js';
import { peekTrustRoot } from '../../trust/trust-root.js';
import { peekCheckpoint } from '../../verify/index.js';
import { clientSettings, timeoutOption } from '../client-settings.js';
import { EXIT_FINDINGS, EXIT_FORK, EXIT_UNAVAILABLE, UsageError } from '../exit-codes.js';
import { readPolicyFile, readWitnessPolicyFile } from '../inputs.js';
import { processIo, type CliIo } from '../io.js';
import { clientAction, witnessPolicyOption } from './registry-client.js';

interface AuditOpts {
  server?: string;
  witnessPolicy?: string;
  tiles?: string;
  policy?: string;
  threads?: number;
  restart: boolean;
  json: boolean;
  timeout?: number;
}

export function auditCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('audit')
    .description(
      "check a whole log from its tiles, as an independent monitor: every tile against the checkpoint's root, every leaf with the registry's own write checks (signatures on every core), consistency with what this client saw before; resumes where it stopped",
    )
    .option('--server <url>', 'a MATRIZ registry: pins its keys on first contact, like verify')
    .option(
      '--tiles <dir-or-url>',
      "a tlog-tiles tree (matriz tiles export's directory, or a web server serving one) of a log whose keys this client pinned before",
    )
    .option('--policy <file>', 'the entitlement policy the registry serves with (serve --policy)')
    .addOption(
      new Option(
        '--threads <n>',
        'worker threads checking leaves (default: one per core)',
      ).argParser((value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > 256)
          throw new UsageError(`--threads must be an integer from 1 to 256, got ${value}`);
        return n;
      }),
    )
    .addOption(witnessPolicyOption())
    .option('--restart', 'check from leaf 0 again instead of resuming', false)
    .addOption(timeoutOption())
    .option('--json', 'print one JSON object', false)
    .action(async (opts: AuditOpts) => {
      if ((opts.server === undefined) === (opts.tiles === undefined))
        throw new UsageError('give exactly one of --server URL and --tiles DIR-or-URL');
      const policy = opts.policy === undefined ? undefined : await readPolicyFile(io, opts.policy);
      const witnessPolicy =
        opts.witnessPolicy === undefined
          ? undefined
          : await readWitnessPolicyFile(io, opts.witnessPolicy);
      const dir = configDir(io.env);
      await clientAction(io, setExitCode, async () => {
        const started = performance.now();
        const target = await openTarget(io, dir, opts);
        const origin = target.origin;
        const progress = progressLine(io, opts.json);
        let report: AuditReport;
        try {
          report = await auditLog({
            source: target.source,
            verifier: target.verifier,
            ...(target.pinned === undefined ? {} : { pinned: target.pinned }),
            ...(witnessPolicy === undefined ? {} : { witnessPolicy }),
            stateDir: path.join(
              dir,
              'audit',
              createHash('sha256').update(origin).digest('hex').slice(0, 16),
            ),
            restart: opts.restart,
            loadSuite: (algorithm) => loadSignatureSuite(algorithm),
            ...(policy === undefined ? {} : { policy }),
            ...(opts.threads === undefined ? {} : { threads: opts.threads }),
            onProgress: progress.update,
          });
        } finally {
          progress.done();
        }
        await target.remember(report);
        const seconds = (performance.now() - started) / 1000;
        if (opts.json)
          io.stdout(
            `${JSON.stringify({
              ok: report.ok,
              origin: report.origin,
              size: report.size,
              root: report.root,
              resumed_from: report.resumedFrom,
              checked: report.checked,
              entries: report.entries,
              seconds: Number(seconds.toFixed(3)),
              leaves_per_second: Math.round(report.checked / Math.max(seconds, 1e-3)),
              problems: report.problems,
            })}\n`,
          );
        else {
          for (const problem of report.problems) io.stdout(`problem: ${problem}\n`);
          io.stdout(
            `${report.ok ? 'clean' : `${report.problems.length} problem(s)`}: log ${report.origin}, ${report.size} leaves (${report.checked} checked now${report.resumedFrom > 0 ? `, resumed at ${report.resumedFrom}` : ''}), ${report.entries} entries, root ${report.root} in ${seconds.toFixed(1)} s\n`,
          );
        }
        if (!report.ok) throw new AuditFindings();
      }).catch((error: unknown) => {
        if (error instanceof AuditFindings) setExitCode(EXIT_FINDINGS);
        else if (error instanceof AuditForkError) {
          io.stderr(`matriz: LOG FORK OR ROLLBACK: ${error.message}\n`);
          setExitCode(EXIT_FORK);
        } else if (error instanceof TileMissingError) {
          io.stderr(`matriz: error: ${error.message}\n`);
          setExitCode(EXIT_UNAVAILABLE);
        } else throw error;
      });
    });
}

/** The audit found leaves the registry should not have logged (exit 1, already reported). */
class AuditFindings extends Error {}

interface Target {
  readonly origin: string;
  readonly source: TileSource;
  readonly verifier: CheckpointVerifier | CheckpointKeySet;
  readonly pinned: Checkpoint | undefined;
  /** Records the audited checkpoint as this client's latest for the log. */
  remember(report: AuditReport): Promise<void>;
}

async function openTarget(io: CliIo, dir: string, opts: AuditOpts): Promise<Target> {
  if (opts.server !== undefined) {
    const settings = await clientSettings(io, { server: opts.server, timeout: opts.timeout });
    const client = new RegistryClient({
      server: settings.server,
      timeoutMs: settings.timeoutMs,
      stateDir: dir,
      env: io.env,
    });
    const session = await client.session();
    const { origin } = await client.http.keys();
    if (session.pinnedNow) io.stderr(`matriz: pinned the keys of log ${origin} on first contact\n`);
    const source = tileSource(settings.server, { timeoutMs: settings.timeoutMs, env: io.env });
    const pinned = session.previous;
    return {
      origin,
      source,
      verifier: session.verifier,
      pinned,
      // The session checks the audited checkpoint against what it saw before, and keeps it.
      remember: async (report) => {
        await session.advance(report.note);
      },
    };
  }
  const source = tileSource(opts.tiles as string, {
    ...(opts.timeout === undefined ? {} : { timeoutMs: opts.timeout * 1000 }),
    env: io.env,
  });
  const note = new TextDecoder().decode(await source.read('checkpoint'));
  let origin: string;
  try {
    origin = checkpointOrigin(note);
  } catch (error) {
    throw new VerificationError(
      `${source.location}/checkpoint is not a checkpoint: ${(error as Error).message}`,
    );
  }
  const state = await loadLogState(dir, origin);
  if (state === undefined)
    throw new UsageError(
      `this client has no keys pinned for log ${origin}: run matriz verify --server URL (or matriz audit --server URL) once to pin them`,
    );
  const [ed25519, mlDsa44] = await Promise.all([
    loadSignatureSuite('ed25519'),
    loadSignatureSuite('ml-dsa-44'),
  ]);
  const verifier =
    state.trust_root === undefined
      ? checkpointVerifierFor(state.keys, { ed25519, mlDsa44 })
      : {
          ...checkpointKeysFromRoot(
            peekTrustRoot(state.trust_root),
            state.revocations === undefined ? undefined : peekRevocationList(state.revocations),
          ),
          ed25519,
          mlDsa44,
        };
  const pinned = state.checkpoint === undefined ? undefined : peekCheckpoint(state.checkpoint);
  return {
    origin,
    source,
    verifier,
    pinned,
    remember: async (report) => {
      if (pinned === undefined || report.size >= pinned.size)
        await saveLogState(dir, { ...state, checkpoint: report.note });
    },
  };
}

/** A progress line on a terminal (rewritten in place), nothing otherwise or with --json. */
function progressLine(
  io: CliIo,
  json: boolean,
): { update: (checked: number, size: number) => void; done: () => void } {
  const tty = !json && io.stderr === processIo.stderr && process.stderr.isTTY;
  if (!tty) return { update: () => undefined, done: () => undefined };
  const started = performance.now();
  let last = 0;
  return {
    update: (checked, size) => {
      const now = performance.now();
      if (now - last < 200 && checked < size) return;
      last = now;
      const rate = Math.round(checked / Math.max((now - started) / 1000, 1e-3));
      const percent = size === 0 ? 100 : Math.floor((checked / size) * 100);
      io.stderr(`\rmatriz: audit ${percent}% ${checked}/${size} leaves, ${rate}/s `);
    },
    done: () => {
      io.stderr('\n');
    },
  };
}

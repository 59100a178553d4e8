/**
 * The registry service as `matriz serve` runs it: data directory, store, sequencer, registry,
 * HTTP server, metrics, wired together, plus an orderly shutdown.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import { loadSignatureSuite } from '../crypto/suites.js';
import type { CheckpointSigner } from '../log/checkpoint-signature.js';
import { DEFAULT_POLICY, type EntitlementPolicy } from '../registry/policy.js';
import { DEFAULT_FRESHNESS_SECONDS, Registry } from '../registry/registry.js';
import { CheckpointRefresher } from '../registry/checkpoint-refresher.js';
import { Sequencer } from '../registry/sequencer.js';
import { openPostgresStore } from '../store/postgres-store.js';
import { AnswerCache } from '../store/entry-pages.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { buildServer, type ConnectionLimits } from './app.js';
import { loadExplorerAssets, type ExplorerAssets } from './explorer.js';
import { openDataDir, readDataDirPublic, type DataDirOptions } from '../operator/data-dir.js';
import { checkProductionStart, noTrustRootRefusal } from '../operator/production.js';
import { ServerMetrics } from './metrics.js';
import { Keyring } from '../operator/keyring.js';
import { VerifyPool } from './verify-pool.js';
import { WitnessCosigner } from './witness-cosigner.js';
import type { WitnessPolicy } from '../log/cosignature.js';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { publicKeyOf, type PublicKey } from '../crypto/keys.js';
import { Replica, type ReplicaRole } from '../registry/replica.js';
import { leaseHolderName } from '../store/postgres-replication.js';
import type { Replication } from '../store/replication.js';

export interface ServiceOptions extends DataDirOptions {
  readonly host: string;
  readonly port: number;
  /** PostgreSQL connection string; the embedded SQLite store when absent. */
  readonly databaseUrl?: string;
  readonly policy?: EntitlementPolicy;
  /** Witnesses asked to cosign each checkpoint (each with its url), and the published note. */
  readonly witnessPolicy?: WitnessPolicy;
  readonly freshnessSeconds?: number;
  readonly maxBatch?: number;
  readonly maxDelayMs?: number;
  readonly bodyLimit?: number;
  readonly rateLimitPerMinute?: number;
  readonly connections?: Partial<ConnectionLimits>;
  readonly logger?: FastifyServerOptions['logger'];
  /** Worker threads that check request signatures. Default: cores - 1, at least 1. */
  readonly verifyThreads?: number;
  /**
   * Production mode (src/operator/production.ts): refuse a data directory open to others, a
   * generated or stored passphrase, a default origin and a log without a trust root.
   */
  readonly production?: boolean;
  /** Re-sign the checkpoint after this many seconds without one. Default 60. */
  readonly checkpointIntervalSeconds?: number;
  /** CORS allow-list (ServerOptions.corsOrigins). */
  readonly corsOrigins?: readonly string[];
  /** Reverse proxies to trust (ServerOptions.trustProxy). */
  readonly trustProxy?: boolean | string;
  /**
   * The directory of the built web explorer (`dist/explorer`), served at `/`
   * (ServerOptions.explorer); false or absent: not served.
   */
  readonly explorerDir?: string | false;
  /** MiB of query answers kept in memory. Default DEFAULT_ANSWER_CACHE_MB; 0: none. */
  readonly answerCacheMb?: number;
  /**
   * With `databaseUrl`, whether this replica stands for election as the sequencer (`auto`, the
   * default: it opens the log keys) or only serves (`never`: it reads the data directory's public
   * keys, needs no passphrase). docs/operations.md, "Replicas".
   */
  readonly sequencer?: SequencerMode;
  /** How long the sequencer lease lasts without renewal, ms. Default DEFAULT_SEQUENCER_LEASE_MS. */
  readonly sequencerLeaseMs?: number;
  /** How long a replica waits for the sequencer to settle a write before 503, ms. Default 30 s. */
  readonly writeTimeoutMs?: number;
}

export type SequencerMode = 'auto' | 'never';

export const DEFAULT_SEQUENCER_LEASE_MS = 4000;
export const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

export const DEFAULT_ANSWER_CACHE_MB = 256;

export const DEFAULT_CHECKPOINT_INTERVAL_SECONDS = 60;

export interface RunningService {
  readonly url: string;
  readonly origin: string;
  readonly app: FastifyInstance;
  readonly store: Store;
  /** `sequencer` when this process sequences the log (always, for one process), else `frontend`. */
  readonly role: () => ReplicaRole;
  /** Why writes are halted (the stored log is inconsistent with its checkpoints), if they are. */
  readonly haltedReason: () => string | undefined;
  close(): Promise<void>;
}

/** Why `serve` could not start, in words an operator can act on; the cause is kept. */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

/**
 * Opens everything `serve` needs and listens. When any step fails, what was already opened
 * (store, sequencer, verify workers, HTTP server) is closed again before the error is thrown, so
 * a failed start leaves nothing running that would keep the process alive.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  if (options.production === true)
    await checkProductionStart({
      dataDir: options.dataDir,
      env: options.env ?? process.env,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.passphraseEnv === undefined ? {} : { passphraseEnv: options.passphraseEnv }),
    });
  const opened: (() => Promise<void>)[] = [];
  const closeOpened = async (): Promise<void> => {
    for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    return await openService(options, opened, closeOpened);
  } catch (error) {
    await closeOpened();
    throw startError(error, options);
  }
}

async function openService(
  options: ServiceOptions,
  opened: (() => Promise<void>)[],
  closeOpened: () => Promise<void>,
): Promise<RunningService> {
  const eligible = (options.sequencer ?? 'auto') === 'auto';
  if (!eligible && options.databaseUrl === undefined)
    throw new ServiceStartError(
      '--sequencer never is for replicas sharing a PostgreSQL store (--database-url): a server on the embedded store is its own sequencer',
    );
  const log = eligible ? await openLogKeys(options) : await openPublicLog(options);
  const answerCache = new AnswerCache((options.answerCacheMb ?? DEFAULT_ANSWER_CACHE_MB) * 2 ** 20);
  let store: Store;
  // The server's logger exists once the app is built; the sequencer's events before that (a new
  // log's first checkpoint) are not logged.
  const events: { log?: FastifyBaseLogger } = {};
  let replication: Replication | undefined;
  if (options.databaseUrl !== undefined) {
    const postgres = await openPostgresStore({
      connectionString: options.databaseUrl,
      answerCache,
      onConnectionError: (error) => {
        events.log?.warn(
          { err: error },
          'a PostgreSQL connection failed; the next query opens another',
        );
      },
    });
    store = postgres;
    replication = postgres.replication;
  } else {
    store = openSqliteStore({ path: log.databaseFile, appendInWorker: true, answerCache });
  }
  opened.push(() => store.close());
  const metrics = new ServerMetrics();
  const freshnessSeconds = options.freshnessSeconds ?? DEFAULT_FRESHNESS_SECONDS;
  // Made once the registry exists; the sequencer pokes it after each batch.
  let cosigner: WitnessCosigner | undefined;
  // Among replicas, the one holding the sequencer lease sequences; made once the sequencer is.
  let replica: Replica | undefined;
  const sequencer = new Sequencer(store, {
    origin: log.origin,
    ...(log.signer === undefined ? {} : { signer: log.signer }),
    // Before a trust root: the data directory's log key; after: the root's log keys found here.
    signers: async (ledger) => {
      if (log.signer === undefined || log.keyring === undefined)
        throw new Error('this replica does not open the log keys (--sequencer never)');
      return (
        ledger.root === undefined ? [log.signer] : await log.keyring.checkpointSigners(ledger)
      ).map((one) => timedSigner(one, metrics));
    },
    freshnessSeconds,
    policy: options.policy ?? DEFAULT_POLICY,
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    ...(options.maxDelayMs === undefined ? {} : { maxDelayMs: options.maxDelayMs }),
    ...(replication === undefined
      ? {}
      : { replicated: { replication, fence: () => replica?.fence() } }),
    onInconsistent: (reason) => {
      metrics.logInconsistencies.inc();
      events.log?.error({ reason }, 'log inconsistent: writes halted');
    },
    onCommit: (writes, seconds) => {
      cosigner?.poke();
      metrics.saveCheckpoint.observe(seconds);
      metrics.batchSize.observe(writes);
      events.log?.info(
        { writes, duration_ms: Math.round(seconds * 1e6) / 1000 },
        'sequencer batch committed',
      );
    },
    onTrustRecords: (kinds) => {
      metrics.trustRecordsSeen(kinds);
      events.log?.info({ kinds }, 'trust records appended to the log');
    },
  });
  await sequencer.start();
  if (options.production === true && sequencer.trust.root === undefined) {
    await store.close();
    throw noTrustRootRefusal(options.dataDir);
  }
  const role = (): ReplicaRole => replica?.role ?? 'sequencer';
  if (replication === undefined) {
    // A new log publishes its signed size-0 checkpoint before it serves, so clients can verify
    // it. Among replicas the first sequencer does, once elected (replica.ts).
    if (sequencer.haltedReason === undefined && (await store.latestCheckpoint()) === undefined)
      await sequencer.refreshCheckpoint();
  } else {
    const running = new Replica({
      store,
      replication,
      sequencer,
      eligible,
      leaseMs: options.sequencerLeaseMs ?? DEFAULT_SEQUENCER_LEASE_MS,
      freshnessSeconds,
      writeTimeoutMs: options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS,
      holder: leaseHolderName(randomBytes(4).toString('hex')),
      onRole: (now) => {
        events.log?.info(
          { role: now },
          `this replica is now ${now === 'sequencer' ? 'the sequencer' : 'a frontend'}`,
        );
      },
      onFailover: (previousHolder) => {
        metrics.failovers.inc();
        events.log?.warn(
          { previous_holder: previousHolder },
          'took the sequencer lease over from a replica whose lease expired',
        );
      },
      onError: (what, error) => {
        events.log?.warn({ err: error }, `replica: ${what} failed`);
      },
    });
    replica = running;
    opened.push(() => running.stop());
    await running.start();
  }
  metrics.observe({
    store,
    answerCache,
    queueDepth: () => sequencer.queueDepth,
    trust: () => sequencer.trust,
    cryptoBackend: log.cryptoBackend,
    leader: () => role() === 'sequencer',
    ...(replication === undefined ? {} : { pendingWrites: () => replication.unsettledCount() }),
  });
  const pool = new VerifyPool(
    options.verifyThreads ?? Math.max(1, availableParallelism() - 1),
    (seconds) => {
      metrics.pqcVerify.observe(seconds);
    },
  );
  opened.push(() => pool.close());
  // Drained before the workers close: queued writes were verified already.
  opened.push(() => sequencer.drain());
  await pool.ready;
  const registry = new Registry({
    origin: log.origin,
    store,
    sequencer,
    ...(replica === undefined ? {} : { writes: replica }),
    logKeys: log.logKeys,
    loadSuite: (algorithm) => loadSignatureSuite(algorithm),
    decodeRequest: pool.decode,
    decodeRequestBytes: pool.decodeBytes,
    freshnessSeconds,
    // pqc_verify_duration_seconds is observed in the pool: the check alone, not its queueing.
    onVerify: (result) => {
      metrics.verifications.inc({ result });
    },
    // The sequencer publishes what its witnesses cosigned; the other replicas serve what it
    // recorded (so does a new sequencer until its first round ends).
    published: () => {
      if (cosigner === undefined) return undefined;
      const own = role() === 'sequencer' ? cosigner.published() : undefined;
      return own ?? replication?.cosigned();
    },
  });
  if (options.witnessPolicy !== undefined) {
    cosigner = new WitnessCosigner({
      policy: options.witnessPolicy,
      registry,
      suites: {
        ed25519: await loadSignatureSuite('ed25519'),
        mlDsa44: await loadSignatureSuite('ml-dsa-44'),
      },
      onFailure: (witness, reason) => {
        events.log?.warn({ witness, reason }, 'witness did not cosign');
      },
      onRound: (size, cosigned) => {
        events.log?.info({ size, cosigned }, 'checkpoint cosigned');
      },
      onPublished: (note, size) => {
        replication?.publishCosigned(note, size).catch((error: unknown) => {
          events.log?.warn(
            { err: error },
            'could not record the cosigned checkpoint for the other replicas',
          );
        });
      },
    });
    const running = cosigner;
    opened.push(() => running.close());
  }
  const app = await buildServer({
    registry,
    metrics,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.rateLimitPerMinute === undefined
      ? {}
      : { rateLimitPerMinute: options.rateLimitPerMinute }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.connections === undefined ? {} : { connections: options.connections }),
    validateSpec: pool.validate,
    ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    explorer: explorerAssets(options),
    // Not ready while writes are halted on an inconsistent log (the reason is in the logs).
    ready: async () => {
      await store.treeSize();
      return sequencer.haltedReason === undefined;
    },
    role,
  });
  events.log = app.log;
  const halted = sequencer.haltedReason;
  if (halted !== undefined) app.log.error({ reason: halted }, 'log inconsistent: writes halted');
  opened.push(() => app.close());
  const pruner = setInterval(() => {
    const now = Math.floor(Date.now() / 1000);
    void store.pruneNonces(now).catch(() => undefined);
    void replication?.prune(now).catch(() => undefined);
  }, 60_000);
  pruner.unref();
  // Only the sequencer signs; a frontend replica's refresher finds nothing to do.
  const refresher = new CheckpointRefresher(
    {
      get lastSignedAt() {
        return sequencer.lastSignedAt;
      },
      refreshCheckpoint: () =>
        role() === 'sequencer' ? sequencer.refreshCheckpoint() : Promise.resolve(),
    },
    {
      intervalMs: 1000 * (options.checkpointIntervalSeconds ?? DEFAULT_CHECKPOINT_INTERVAL_SECONDS),
      onError: (error) => {
        app.log.warn({ err: error }, 'checkpoint refresh failed');
      },
    },
  );
  refresher.start();
  if (cosigner !== undefined) {
    // A re-signed checkpoint (no writes) is cosigned too; and the first one now. Among replicas,
    // the sequencer asks the witnesses.
    const witnessed = cosigner;
    const poke = (): void => {
      if (role() === 'sequencer') witnessed.poke();
    };
    poke();
    const timer = setInterval(
      poke,
      1000 * (options.checkpointIntervalSeconds ?? DEFAULT_CHECKPOINT_INTERVAL_SECONDS),
    );
    timer.unref();
    opened.push(() => {
      clearInterval(timer);
      return Promise.resolve();
    });
  }
  opened.push(() => {
    clearInterval(pruner);
    return Promise.resolve();
  });
  opened.push(() => {
    refresher.stop();
    return Promise.resolve();
  });
  const url = await app.listen({ host: options.host, port: options.port });
  return {
    url,
    origin: log.origin,
    app,
    store,
    role,
    haltedReason: () => sequencer.haltedReason,
    // In reverse order of opening: timer, HTTP server, verify workers, sequencer, replica, store.
    close: closeOpened,
  };
}

/** The log's identity and keys as this process holds them. */
interface LogIdentity {
  readonly origin: string;
  readonly logKeys: { readonly ed25519: PublicKey; readonly mlDsa44: PublicKey };
  readonly databaseFile: string;
  readonly cryptoBackend: string;
  /** The data directory's log keys, to sign checkpoints (absent: `--sequencer never`). */
  readonly signer?: CheckpointSigner;
  /** The trust root's log keys found in the data directory, once there is a root. */
  readonly keyring?: Keyring;
}

/** The data directory with its log keys opened (created at first start). */
async function openLogKeys(options: ServiceOptions): Promise<LogIdentity> {
  const dir = await openDataDir(options);
  return {
    origin: dir.origin,
    logKeys: { ed25519: dir.ed25519.key, mlDsa44: dir.mlDsa44.key },
    databaseFile: dir.databaseFile,
    cryptoBackend: dir.mlDsa44.suite.backend,
    keyring: new Keyring(options.dataDir, dir.origin, dir.keyProvider, options.scrypt),
    signer: {
      name: dir.origin,
      ed25519: {
        publicKey: dir.ed25519.key.publicKey,
        sign: (message) => dir.ed25519.suite.sign(message, dir.ed25519.secretKey),
      },
      mlDsa44: {
        publicKey: dir.mlDsa44.key.publicKey,
        sign: (message) => dir.mlDsa44.suite.sign(message, dir.mlDsa44.secretKey),
      },
    },
  };
}

/**
 * A frontend replica's view of the data directory: the origin and the log's public keys, read
 * without a passphrase; no secret key is opened.
 */
async function openPublicLog(options: ServiceOptions): Promise<LogIdentity> {
  let dir;
  try {
    dir = await readDataDirPublic(options.dataDir);
  } catch (error) {
    throw new ServiceStartError(
      `--sequencer never serves a log set up elsewhere: ${(error as Error).message}; copy the data directory of a replica that opens the log keys (its key files stay encrypted, no passphrase is asked)`,
      { cause: error },
    );
  }
  if (options.origin !== undefined && options.origin !== dir.origin)
    throw new ServiceStartError(
      `${options.dataDir} holds log ${JSON.stringify(dir.origin)}, not ${JSON.stringify(options.origin)}`,
    );
  return {
    origin: dir.origin,
    logKeys: {
      ed25519: publicKeyOf('ed25519', dir.ed25519PublicKey),
      mlDsa44: publicKeyOf('ml-dsa-44', dir.mlDsa44PublicKey),
    },
    databaseFile: dir.databaseFile,
    cryptoBackend: (await loadSignatureSuite('ml-dsa-44')).backend,
  };
}

function startError(error: unknown, options: ServiceOptions): Error {
  const code = (error as { code?: unknown }).code;
  const where = `${options.host}:${options.port}`;
  if (code === 'EADDRINUSE')
    return new ServiceStartError(
      `cannot listen on ${where}: the address is in use (another server on that port?); stop it or pick another --port`,
      { cause: error },
    );
  if (code === 'EACCES' && (error as { syscall?: unknown }).syscall === 'listen')
    return new ServiceStartError(
      `cannot listen on ${where}: permission denied; ports below 1024 need privileges, pick another --port`,
      { cause: error },
    );
  if (code === 'EADDRNOTAVAIL')
    return new ServiceStartError(
      `cannot listen on ${where}: no such address on this machine; check --host`,
      { cause: error },
    );
  if (typeof code === 'string' && /^SQLITE_/.test(code))
    return new ServiceStartError(
      `cannot open the store in ${options.dataDir}: ${(error as Error).message} (${code}); check --data-dir and its permissions`,
      { cause: error },
    );
  if (typeof code === 'string' && typeof (error as { syscall?: unknown }).syscall === 'string')
    return new ServiceStartError(
      `cannot use the data directory ${options.dataDir}: ${(error as Error).message}; check --data-dir and its permissions`,
      { cause: error },
    );
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * `signer` observing pqc_sign_duration_seconds for each ML-DSA-44 checkpoint signature, whichever
 * key makes it: the data directory's before a trust root, the root's log keys after.
 */
function timedSigner(signer: CheckpointSigner, metrics: ServerMetrics): CheckpointSigner {
  return {
    ...signer,
    mlDsa44: {
      publicKey: signer.mlDsa44.publicKey,
      sign: async (message) => {
        const end = metrics.pqcSign.startTimer();
        try {
          return await signer.mlDsa44.sign(message);
        } finally {
          end();
        }
      },
    },
  };
}

/** The built explorer of `options.explorerDir`; says so through `warn` when it is not built. */
function explorerAssets(options: ServiceOptions): ExplorerAssets | 'off' | 'not-built' {
  if (options.explorerDir === undefined || options.explorerDir === false) return 'off';
  const assets = loadExplorerAssets(options.explorerDir);
  if (assets !== undefined) return assets;
  options.warn(
    `the web explorer is not built (no ${path.join(options.explorerDir, 'index.html')}): / answers 404; run npm run build`,
  );
  return 'not-built';
}

/**
 * Prometheus metrics (exposition at /metrics). Names follow Prometheus conventions: `_seconds`
 * for durations, `_total` for counters. One registry per server, never the global default, so
 * several servers in one process (tests) do not mix their numbers.
 */
import { selfTestRecords } from '../crypto/suites.js';
import {
  Counter,
  Gauge,
  Histogram,
  Registry as MetricsRegistry,
  collectDefaultMetrics,
} from 'prom-client';
import { CONTROL_KINDS, type ControlKind } from '../verify/leaf.js';
import type { TrustLedger } from '../registry/trust-ledger.js';
import type { AnswerCache } from '../store/entry-pages.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';

/** What the state gauges read at each scrape. */
export interface ObservedRegistry {
  readonly store: Store;
  /** The query answers kept in memory, if any. */
  readonly answerCache?: AnswerCache;
  /** Writes waiting for a sequencer batch. */
  readonly queueDepth: () => number;
  /** The trust state as of the sequencer's last commit or reload. */
  readonly trust: () => TrustLedger;
  /** The signature backend that signs and verifies ML-DSA here (`noble`, `liboqs`). */
  readonly cryptoBackend: string;
  /** Whether this process sequences the log: always for one process, the lease holder's among replicas. */
  readonly leader: () => boolean;
  /** Writes queued for the replicas' sequencer and not settled yet (replicas only). */
  readonly pendingWrites?: () => Promise<number>;
  /** POSIX milliseconds; default Date.now. */
  readonly clock?: () => number;
}

/** Why a request was refused before any route ran: per-client rate limit or server pressure. */
export const REJECTION_REASONS = [
  'rate_limit',
  'event_loop_delay',
  'event_loop_utilization',
  'heap_used',
  'rss',
  'health_check',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

const PRESSURE_REASONS: Readonly<Record<string, RejectionReason>> = {
  eventLoopDelay: 'event_loop_delay',
  eventLoopUtilization: 'event_loop_utilization',
  heapUsedBytes: 'heap_used',
  rssBytes: 'rss',
  healthCheck: 'health_check',
};

/** The rejection reason for an @fastify/under-pressure pressure type. */
export function pressureReason(type: string): RejectionReason {
  return PRESSURE_REASONS[type] ?? 'event_loop_delay';
}

const DAY_MS = 86_400_000;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class ServerMetrics {
  readonly registry = new MetricsRegistry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests, by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by route and method.',
    labelNames: ['route', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly saveCheckpoint = new Histogram({
    name: 'registry_save_checkpoint_duration_seconds',
    help: 'Time to build, sign and durably store one sequencer batch and its checkpoint.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'registry_batch_writes',
    help: 'Writes committed per checkpoint.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly verifications = new Counter({
    name: 'registry_verify_total',
    help: 'Signature checks of incoming write requests, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly pqcSign = new Histogram({
    name: 'pqc_sign_duration_seconds',
    help: 'Time to make one ML-DSA-44 checkpoint signature, by any log key.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly pqcVerify = new Histogram({
    name: 'pqc_verify_duration_seconds',
    help: 'Time to verify the owner signature of one write request, in its worker (not counting the wait for a worker).',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly validationFailures = new Counter({
    name: 'nodespec_validation_failures_total',
    help: 'NodeSpecs refused by schema validation, on validate and register.',
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'registry_refusals_total',
    help: 'Refused requests, by problem type slug.',
    labelNames: ['problem'] as const,
    registers: [this.registry],
  });

  readonly logInconsistencies = new Counter({
    name: 'registry_log_inconsistencies_total',
    help: 'Times the stored log was found inconsistent with the checkpoint this server last signed or saw (rewritten history, a fork); writes halt until an operator repairs it.',
    registers: [this.registry],
  });

  readonly rejections = new Counter({
    name: 'registry_rejections_total',
    help: 'Requests refused before any route ran, by reason: the per-client rate limit (rate_limit) or back-pressure (event_loop_delay, event_loop_utilization, heap_used, rss, health_check).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly trustRecords = new Counter({
    name: 'registry_trust_records_seen_total',
    help: 'Trust records this server appended or found appended by another writer since it started, by kind (log-rotation: log key rotations; revocations: revocation list versions).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly failovers = new Counter({
    name: 'registry_failovers_total',
    help: 'Times this replica took the sequencer lease over from another replica whose lease had expired (it crashed, froze or lost its database connection); a released lease (an orderly stop) is not counted.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every series exists from the first scrape, so rate() and increase() see the first event.
    for (const reason of REJECTION_REASONS) this.rejections.inc({ reason }, 0);
    for (const kind of CONTROL_KINDS) this.trustRecords.inc({ kind }, 0);
  }

  /** Counts trust records seen (Sequencer `onTrustRecords`). */
  trustRecordsSeen(kinds: readonly ControlKind[]): void {
    for (const kind of kinds) this.trustRecords.inc({ kind });
  }

  /**
   * Registers the gauges read from the running registry at each scrape: tree size, checkpoint
   * age, queue depth, stored nonces, trust root version and expiry, revoked keys, build info.
   */
  observe(observed: ObservedRegistry): void {
    const registers = [this.registry];
    const clock = observed.clock ?? Date.now;
    new Gauge({
      name: 'registry_tree_size',
      help: 'Leaves in the transparency log.',
      registers,
      async collect() {
        this.set(await observed.store.treeSize());
      },
    });
    new Gauge({
      name: 'registry_checkpoint_age_seconds',
      help: "Now minus the signed time of the newest stored checkpoint; grows when the log stops signing (the checkpoint is re-signed every --checkpoint-interval seconds without writes). NaN before the log's first checkpoint.",
      registers,
      async collect() {
        const latest = await observed.store.latestCheckpoint();
        this.set(latest === undefined ? Number.NaN : clock() / 1000 - latest.signedAt);
      },
    });
    new Gauge({
      name: 'registry_sequencer_queue_depth',
      help: 'Accepted writes waiting for a sequencer batch (not counting the batch being committed).',
      registers,
      collect() {
        this.set(observed.queueDepth());
      },
    });
    new Gauge({
      name: 'registry_sequencer_leader',
      help: '1 while this process is the sequencer (the only one of one process; the lease holder among replicas sharing PostgreSQL), else 0.',
      registers,
      collect() {
        this.set(observed.leader() ? 1 : 0);
      },
    });
    const pendingWrites = observed.pendingWrites;
    if (pendingWrites !== undefined)
      new Gauge({
        name: 'registry_pending_writes',
        help: "Verified writes queued in PostgreSQL for the replicas' sequencer and not integrated yet; grows while no replica holds the sequencer lease.",
        registers,
        async collect() {
          this.set(await pendingWrites());
        },
      });
    new Gauge({
      name: 'registry_nonces',
      help: 'Request nonces stored (accepted, kept twice the freshness window to refuse replays).',
      registers,
      async collect() {
        this.set(await observed.store.nonceCount());
      },
    });
    const cache = observed.answerCache;
    if (cache !== undefined) {
      // Counters read from the cache at each scrape: incremented by what it counted since.
      const counted = { hits: 0, misses: 0 };
      for (const kind of ['hits', 'misses'] as const) {
        new Counter({
          name: `registry_answer_cache_${kind}_total`,
          help: `Query answers ${kind === 'hits' ? 'found in' : 'read from the store, not in'} the answer cache (serve --answer-cache-mb).`,
          registers,
          collect() {
            this.inc(cache[kind] - counted[kind]);
            counted[kind] = cache[kind];
          },
        });
      }
      new Gauge({
        name: 'registry_answer_cache_bytes',
        help: 'Bytes of query answers in the answer cache (at most serve --answer-cache-mb).',
        registers,
        collect() {
          this.set(cache.bytes);
        },
      });
    }
    new Gauge({
      name: 'registry_trust_root_version',
      help: 'Version of the newest trust root in the log; 0 before `matriz trust init`.',
      registers,
      collect() {
        this.set(observed.trust().root?.version ?? 0);
      },
    });
    new Gauge({
      name: 'registry_trust_root_days_to_expiry',
      help: 'Days until the newest trust root expires (negative once expired); NaN without a trust root.',
      registers,
      collect() {
        const root = observed.trust().root;
        this.set(root === undefined ? Number.NaN : (Date.parse(root.expires) - clock()) / DAY_MS);
      },
    });
    new Gauge({
      name: 'registry_revoked_keys',
      help: 'Keys listed in the newest revocation list in the log.',
      registers,
      collect() {
        this.set(observed.trust().revocations?.revoked.length ?? 0);
      },
    });
    new Gauge({
      name: 'pqc_self_test_passed',
      help: 'Known-answer self-tests run at start (RFC 8032, FIPS 204 vectors): 1 passed, 0 failed; a suite that fails is never used.',
      labelNames: ['algorithm', 'backend'] as const,
      registers,
      collect() {
        for (const test of selfTestRecords())
          this.set({ algorithm: test.algorithm, backend: test.backend }, test.passed ? 1 : 0);
      },
    });
    new Gauge({
      name: 'matriz_build_info',
      help: 'Always 1; the labels say which matriz, Node.js and ML-DSA backend this server runs.',
      labelNames: ['version', 'node', 'crypto_backend'] as const,
      registers,
    }).set(
      { version: VERSION, node: process.versions.node, crypto_backend: observed.cryptoBackend },
      1,
    );
  }
}

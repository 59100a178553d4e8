/**
 * Prometheus metrics (exposition at /metrics). Names follow Prometheus conventions: `_seconds`
 * for durations, `_total` for counters. One registry per server, never the global default, so
 * several servers in one process (tests) do not mix their numbers.
 */
import {
  Counter,
  Histogram,
  Registry as MetricsRegistry,
  collectDefaultMetrics,
} from 'prom-client';

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
    help: 'Time to sign one checkpoint (Ed25519 and ML-DSA-44 together).',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly pqcVerify = new Histogram({
    name: 'pqc_verify_duration_seconds',
    help: 'Time to verify the owner signature of one write request.',
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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

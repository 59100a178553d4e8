/**
 * Worker thread body of the verify pool: decodes write requests and checks their owner
 * signatures off the event loop (everything `decodeWriteRequest` does, and for a register
 * request's raw body the strict JSON parse before it).
 */
import { parentPort } from 'node:worker_threads';
import { reportFindings, type FindingsReport } from '../nodespec/report.js';
import { SIGNATURE_ALGORITHMS } from '../crypto/algorithms.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { RegistryProblem, type ProblemSlug } from '../registry/problems.js';
import {
  decodeWriteRequest,
  decodeWriteRequestBytes,
  envelopeCheckWith,
  type EnvelopeCheck,
} from '../registry/request.js';
import { toWire, type WireRequest } from '../registry/request-wire.js';

export interface VerifyTask {
  readonly id: number;
  /** A parsed body; or, with `bytes`, nothing. */
  readonly body?: unknown;
  /** The body as received (moved, not copied, to this thread), parsed here. */
  readonly bytes?: { readonly bytes: Uint8Array; readonly maxBytes: number };
  /** Check `body` as a NodeSpec for `/validate` instead of decoding a write request. */
  readonly validate?: { readonly lint: boolean; readonly limit: number };
}

/** The first message of every worker: its suites are loaded and self-tested (or why not). */
export interface WorkerReady {
  readonly ready: boolean;
  readonly error?: string;
}

/**
 * `verifySeconds`: time spent checking the owner signature in this worker (not the queueing
 * before it), when the request got that far; pqc_verify_duration_seconds observes it.
 */
export type VerifyReply =
  | { readonly id: number; readonly request: WireRequest; readonly verifySeconds?: number }
  | { readonly id: number; readonly report: FindingsReport }
  | {
      readonly id: number;
      readonly problem: {
        slug: ProblemSlug;
        detail: string;
        extensions: Readonly<Record<string, unknown>>;
      };
      readonly verifySeconds?: number;
    }
  | { readonly id: number; readonly error: string };

const check = envelopeCheckWith((algorithm) => loadSignatureSuite(algorithm));

/** `check`, recording how long the signature check itself took in `timing`. */
function timedCheck(timing: { seconds?: number }): EnvelopeCheck {
  return async (envelope, owner) => {
    const started = performance.now();
    try {
      return await check(envelope, owner);
    } finally {
      timing.seconds = (performance.now() - started) / 1000;
    }
  };
}

// Load and self-test every suite before taking work, so the first requests are not slow.
Promise.all(SIGNATURE_ALGORITHMS.map((algorithm) => loadSignatureSuite(algorithm))).then(
  () => {
    parentPort?.postMessage({ ready: true });
  },
  (error: unknown) => {
    parentPort?.postMessage({
      ready: false,
      error: error instanceof Error ? error.message : String(error),
    });
  },
);

parentPort?.on('message', (task: VerifyTask) => {
  if (task.validate !== undefined) {
    let reply: VerifyReply;
    try {
      reply = {
        id: task.id,
        report: reportFindings(task.body, task.validate.lint, task.validate.limit),
      };
    } catch (error) {
      reply = { id: task.id, error: error instanceof Error ? error.message : String(error) };
    }
    parentPort?.postMessage(reply);
    return;
  }
  const timing: { seconds?: number } = {};
  const measured = () => (timing.seconds === undefined ? {} : { verifySeconds: timing.seconds });
  const decoded =
    task.bytes === undefined
      ? decodeWriteRequest(task.body, timedCheck(timing))
      : decodeWriteRequestBytes(task.bytes, timedCheck(timing));
  decoded.then(
    (request) => {
      const reply: VerifyReply = { id: task.id, request: toWire(request), ...measured() };
      parentPort?.postMessage(reply);
    },
    (error: unknown) => {
      const reply: VerifyReply =
        error instanceof RegistryProblem
          ? {
              id: task.id,
              problem: { slug: error.slug, detail: error.detail, extensions: error.extensions },
              ...measured(),
            }
          : { id: task.id, error: error instanceof Error ? error.message : String(error) };
      parentPort?.postMessage(reply);
    },
  );
});

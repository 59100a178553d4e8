/**
 * Worker thread body of the verify pool: decodes write requests and checks their owner
 * signatures off the event loop (everything `decodeWriteRequest` does).
 */
import { parentPort } from 'node:worker_threads';
import { reportFindings, type FindingsReport } from '../nodespec/report.js';
import { SIGNATURE_ALGORITHMS } from '../crypto/algorithms.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { RegistryProblem, type ProblemSlug } from '../registry/problems.js';
import { decodeWriteRequest, envelopeCheckWith, type WriteRequest } from '../registry/request.js';

export interface VerifyTask {
  readonly id: number;
  readonly body: unknown;
  /** Check `body` as a NodeSpec for `/validate` instead of decoding a write request. */
  readonly validate?: { readonly lint: boolean; readonly limit: number };
}

/** The first message of every worker: its suites are loaded and self-tested (or why not). */
export interface WorkerReady {
  readonly ready: boolean;
  readonly error?: string;
}

export type VerifyReply =
  | { readonly id: number; readonly request: WriteRequest }
  | { readonly id: number; readonly report: FindingsReport }
  | {
      readonly id: number;
      readonly problem: {
        slug: ProblemSlug;
        detail: string;
        extensions: Readonly<Record<string, unknown>>;
      };
    }
  | { readonly id: number; readonly error: string };

const check = envelopeCheckWith((algorithm) => loadSignatureSuite(algorithm));

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
  decodeWriteRequest(task.body, check).then(
    (request) => {
      const reply: VerifyReply = { id: task.id, request };
      parentPort?.postMessage(reply);
    },
    (error: unknown) => {
      const reply: VerifyReply =
        error instanceof RegistryProblem
          ? {
              id: task.id,
              problem: { slug: error.slug, detail: error.detail, extensions: error.extensions },
            }
          : { id: task.id, error: error instanceof Error ? error.message : String(error) };
      parentPort?.postMessage(reply);
    },
  );
});

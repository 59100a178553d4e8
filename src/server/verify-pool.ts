/**
 * Write requests are decoded and their signatures checked in worker threads, so that a burst
 * of post-quantum verifications (and the base64, JSON and schema work around them) never
 * blocks the event loop that sequences writes and serves reads, health checks and metrics.
 */
import { Worker } from 'node:worker_threads';
import { RegistryProblem } from '../registry/problems.js';
import { compiledWorkerFile } from '../files/worker-file.js';
import type { FindingsReport } from '../nodespec/report.js';
import type { RequestBytes } from '../registry/request-body.js';
import type { WriteRequest } from '../registry/request.js';
import type { VerifyReply, VerifyTask, WorkerReady } from './verify-worker.js';
import { fromWire } from '../registry/request-wire.js';

interface Slot {
  readonly worker: Worker;
  pending: number;
}

export class VerifyPool {
  private readonly slots: Slot[];
  private readonly waiting = new Map<
    number,
    {
      resolve: (r: WriteRequest | FindingsReport) => void;
      reject: (e: Error) => void;
      slot: Slot;
    }
  >();
  private nextId = 0;
  /** Resolves once every worker has loaded and self-tested its suites. */
  readonly ready: Promise<void>;

  /**
   * `onSignatureCheck` is called with the seconds each owner signature check took in its worker
   * (verification only, not the wait for a free worker).
   */
  constructor(
    size: number,
    private readonly onSignatureCheck?: (seconds: number) => void,
  ) {
    const file = compiledWorkerFile(import.meta.url, 'verify-worker.js');
    const readiness: Promise<void>[] = [];
    this.slots = Array.from({ length: Math.max(1, size) }, () => {
      const slot: Slot = { worker: new Worker(file), pending: 0 };
      readiness.push(
        new Promise((resolve, reject) => {
          slot.worker.once('message', (message: WorkerReady) => {
            if (message.ready) resolve();
            else
              reject(
                new Error(
                  `verify worker could not load its signature suites: ${message.error ?? 'unknown error'}`,
                ),
              );
          });
          slot.worker.once('error', reject);
        }),
      );
      slot.worker.on('message', (reply: VerifyReply | WorkerReady) => {
        if ('id' in reply) this.settle(reply);
      });
      slot.worker.on('error', (error) => {
        for (const [id, waiter] of this.waiting) {
          if (waiter.slot === slot) {
            this.waiting.delete(id);
            waiter.reject(error);
          }
        }
      });
      return slot;
    });
    this.ready = Promise.all(readiness).then(() => undefined);
    this.ready.catch(() => undefined);
  }

  /** `decodeWriteRequest` on the least busy worker; refusals come back as RegistryProblem. */
  readonly decode = (body: unknown): Promise<WriteRequest> =>
    this.run({ body }) as Promise<WriteRequest>;

  /**
   * `decodeWriteRequestBytes` on the least busy worker: the body is parsed there. Its buffer is
   * moved to the worker, so `body.bytes` must own its buffer and not be used afterwards.
   */
  readonly decodeBytes = (body: RequestBytes): Promise<WriteRequest> =>
    this.run({ bytes: { bytes: body.bytes, maxBytes: body.maxBytes } }, [
      body.bytes.buffer as ArrayBuffer,
    ]) as Promise<WriteRequest>;

  /** `/validate`'s check of a NodeSpec (nodespec/report.ts) on the least busy worker. */
  readonly validate = (spec: unknown, lint: boolean, limit: number): Promise<FindingsReport> =>
    this.run({ body: spec, validate: { lint, limit } }) as Promise<FindingsReport>;

  private run(
    task: Omit<VerifyTask, 'id'>,
    transfer: ArrayBuffer[] = [],
  ): Promise<WriteRequest | FindingsReport> {
    return new Promise((resolve, reject) => {
      const slot = this.slots.reduce((best, candidate) =>
        candidate.pending < best.pending ? candidate : best,
      );
      const id = this.nextId++;
      slot.pending++;
      this.waiting.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ ...task, id } satisfies VerifyTask, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private settle(reply: VerifyReply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    waiter.slot.pending--;
    if ('verifySeconds' in reply && reply.verifySeconds !== undefined)
      this.onSignatureCheck?.(reply.verifySeconds);
    if ('request' in reply) waiter.resolve(fromWire(reply.request));
    else if ('report' in reply) waiter.resolve(reply.report);
    else if ('problem' in reply)
      waiter.reject(
        new RegistryProblem(reply.problem.slug, reply.problem.detail, reply.problem.extensions),
      );
    else waiter.reject(new Error(reply.error));
  }
}

/**
 * Request signatures are checked in worker threads, so that verifying a burst of post-quantum
 * signatures never blocks the event loop that serves reads, health checks and metrics.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EnvelopeCheck, EnvelopeCheckResult } from '../registry/request.js';
import type { VerifyReply, VerifyTask } from './verify-worker.js';

interface Slot {
  readonly worker: Worker;
  pending: number;
}

/** The compiled worker script; tests running from src/ use the build in dist/. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = path.join(path.dirname(here), 'verify-worker.js');
  if (existsSync(sibling)) return sibling;
  const root = here.slice(0, here.lastIndexOf(`${path.sep}src${path.sep}`));
  return path.join(root, 'dist', 'src', 'server', 'verify-worker.js');
}

export class VerifyPool {
  private readonly slots: Slot[];
  private readonly waiting = new Map<
    number,
    { resolve: (r: EnvelopeCheckResult) => void; reject: (e: Error) => void; slot: Slot }
  >();
  private nextId = 0;

  constructor(size: number) {
    const file = workerFile();
    this.slots = Array.from({ length: Math.max(1, size) }, () => {
      const slot: Slot = { worker: new Worker(file), pending: 0 };
      slot.worker.on('message', (reply: VerifyReply) => {
        this.settle(reply);
      });
      slot.worker.on('error', (error) => {
        for (const [id, waiter] of this.waiting) {
          if (waiter.slot === slot) {
            this.waiting.delete(id);
            waiter.reject(error);
          }
        }
      });
      slot.worker.unref();
      return slot;
    });
  }

  /** An EnvelopeCheck that runs on the least busy worker. */
  readonly check: EnvelopeCheck = (envelope, owner) =>
    new Promise((resolve, reject) => {
      const slot = this.slots.reduce((best, candidate) =>
        candidate.pending < best.pending ? candidate : best,
      );
      const id = this.nextId++;
      slot.pending++;
      this.waiting.set(id, { resolve, reject, slot });
      const task: VerifyTask = {
        id,
        envelope,
        algorithm: owner.algorithm,
        publicKey: owner.publicKey,
      };
      slot.worker.postMessage(task);
    });

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private settle(reply: VerifyReply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    waiter.slot.pending--;
    if ('error' in reply) waiter.reject(new Error(reply.error));
    else waiter.resolve({ valid: reply.valid, ownerSigned: reply.ownerSigned });
  }
}

/**
 * `checkLeaf` (leaf-check.ts) on every core: one worker thread per core, each given a run of
 * consecutive leaves at a time, answers returned in log order. fsck and audit feed it and replay
 * its answers in order (log-replay.ts).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledWorkerFile } from '../files/worker-file.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { checkLeaf, type LeafCheck } from './leaf-check.js';
import { envelopeCheckWith } from './request.js';
import type { LeafCheckReady, LeafCheckReply, LeafCheckTask } from './leaf-check-worker.js';

const inlineCheck = envelopeCheckWith((algorithm) => loadSignatureSuite(algorithm));

interface Slot {
  readonly worker: Worker;
  pending: number;
}

export interface LeafCheckPoolOptions {
  /** The log's origin, which every owner's write must name. */
  readonly origin: string;
  /**
   * Worker threads; default one per core (os.availableParallelism()). 0 checks the leaves on the
   * calling thread: for a log too short to pay for starting workers (`threadsFor`).
   */
  readonly threads?: number;
}

/**
 * Below this many leaves a check runs on the calling thread: each worker loads and self-tests
 * every signature suite before it takes work (about half a second here), more than checking a
 * few hundred leaves costs.
 */
export const INLINE_BELOW = 512;

/** The default thread count for checking a log of `size` leaves. */
export function threadsFor(size: number, threads?: number): number | undefined {
  return threads ?? (size < INLINE_BELOW ? 0 : undefined);
}

export class LeafCheckPool {
  private readonly slots: Slot[];
  private readonly waiting = new Map<
    number,
    { resolve: (checks: LeafCheck[]) => void; reject: (error: Error) => void; slot: Slot }
  >();
  private nextId = 0;
  /** Resolves once every worker has loaded and self-tested its signature suites. */
  readonly ready: Promise<void>;
  private readonly origin: string;

  constructor(options: LeafCheckPoolOptions) {
    this.origin = options.origin;
    const file = compiledWorkerFile(import.meta.url, 'leaf-check-worker.js');
    const threads = Math.max(0, options.threads ?? os.availableParallelism());
    const readiness: Promise<void>[] = [];
    this.slots = Array.from({ length: threads }, () => {
      const slot: Slot = {
        worker: new Worker(file, { workerData: { origin: options.origin } }),
        pending: 0,
      };
      readiness.push(
        new Promise((resolve, reject) => {
          slot.worker.once('message', (message: LeafCheckReady) => {
            if (message.ready) resolve();
            else reject(new Error(`leaf check worker could not load its suites: ${message.error}`));
          });
          slot.worker.once('error', reject);
        }),
      );
      slot.worker.on('message', (reply: LeafCheckReply | LeafCheckReady) => {
        if ('id' in reply) this.settle(reply);
      });
      slot.worker.on('error', (error) => {
        for (const [id, waiter] of this.waiting)
          if (waiter.slot === slot) {
            this.waiting.delete(id);
            waiter.reject(error);
          }
      });
      return slot;
    });
    this.ready = Promise.all(readiness).then(() => undefined);
    this.ready.catch(() => undefined);
  }

  /** Threads checking leaves: the workers, or the calling thread alone. */
  get threads(): number {
    return Math.max(1, this.slots.length);
  }

  /**
   * Checks consecutive leaves on the least busy worker, copied into one buffer that is moved
   * there (one transfer, not one clone per leaf).
   */
  async checkLeaves(leaves: readonly Uint8Array[]): Promise<LeafCheck[]> {
    if (this.slots.length === 0) {
      const checks: LeafCheck[] = [];
      for (const leaf of leaves) checks.push(await checkLeaf(leaf, this.origin, inlineCheck));
      return checks;
    }
    const owned = frameLeaves(leaves);
    const count = leaves.length;
    return new Promise((resolve, reject) => {
      const slot = this.slots.reduce((best, candidate) =>
        candidate.pending < best.pending ? candidate : best,
      );
      const id = this.nextId++;
      slot.pending++;
      this.waiting.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, leaves: owned, count } satisfies LeafCheckTask, [
        owned.buffer as ArrayBuffer,
      ]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private settle(reply: LeafCheckReply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    waiter.slot.pending--;
    if ('checks' in reply) waiter.resolve(reply.checks);
    else waiter.reject(new Error(`leaf check worker: ${reply.error}`));
  }
}

/** Leaves as one buffer: each a big-endian uint32 length and its bytes (leaves of old logs can exceed an entry bundle's 64 KiB). */
export function frameLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(leaves.reduce((total, leaf) => total + 4 + leaf.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const leaf of leaves) {
    view.setUint32(offset, leaf.length);
    out.set(leaf, offset + 4);
    offset += 4 + leaf.length;
  }
  return out;
}

/** The leaves `frameLeaves` framed. */
export function unframeLeaves(framed: Uint8Array, count: number): Uint8Array[] {
  const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength);
  const leaves: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(offset);
    leaves.push(framed.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return leaves;
}

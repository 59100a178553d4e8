/**
 * Worker thread of the leaf check pool (leaf-check-pool.ts): `checkLeaf` on each of the leaves it
 * is given (framed in one buffer, moved to this thread, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SIGNATURE_ALGORITHMS } from '../crypto/algorithms.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { checkLeaf, type LeafCheck } from './leaf-check.js';
import { unframeLeaves } from './leaf-check-pool.js';
import { envelopeCheckWith } from './request.js';

export interface LeafCheckTask {
  readonly id: number;
  /** The leaves, framed by `frameLeaves`. */
  readonly leaves: Uint8Array;
  readonly count: number;
}

export type LeafCheckReply =
  | { readonly id: number; readonly checks: LeafCheck[] }
  | { readonly id: number; readonly error: string };

export type LeafCheckReady = { readonly ready: true } | { readonly ready: false; error: string };

const { origin } = workerData as { origin: string };
const check = envelopeCheckWith((algorithm) => loadSignatureSuite(algorithm));

// Every suite loaded and self-tested before the first task.
Promise.all(SIGNATURE_ALGORITHMS.map((algorithm) => loadSignatureSuite(algorithm))).then(
  () => parentPort?.postMessage({ ready: true } satisfies LeafCheckReady),
  (error: unknown) =>
    parentPort?.postMessage({
      ready: false,
      error: error instanceof Error ? error.message : String(error),
    } satisfies LeafCheckReady),
);

parentPort?.on('message', (task: LeafCheckTask) => {
  (async () => {
    const checks: LeafCheck[] = [];
    for (const leaf of unframeLeaves(task.leaves, task.count))
      checks.push(await checkLeaf(leaf, origin, check));
    return checks;
  })().then(
    (checks) => parentPort?.postMessage({ id: task.id, checks } satisfies LeafCheckReply),
    (error: unknown) =>
      parentPort?.postMessage({
        id: task.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies LeafCheckReply),
  );
});

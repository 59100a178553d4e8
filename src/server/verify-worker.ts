/** Worker thread body of the verify pool: checks envelope signatures off the event loop. */
import { parentPort } from 'node:worker_threads';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { publicKeyOf } from '../crypto/keys.js';
import { loadSignatureSuite } from '../crypto/suites.js';
import { envelopeCheckWith } from '../registry/request.js';

export interface VerifyTask {
  readonly id: number;
  readonly envelope: unknown;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
}

export type VerifyReply =
  | { readonly id: number; readonly valid: boolean; readonly ownerSigned: boolean }
  | { readonly id: number; readonly error: string };

const check = envelopeCheckWith((algorithm) => loadSignatureSuite(algorithm));

parentPort?.on('message', (task: VerifyTask) => {
  check(task.envelope, publicKeyOf(task.algorithm, task.publicKey)).then(
    (result) => {
      parentPort?.postMessage({ id: task.id, ...result } satisfies VerifyReply);
    },
    (error: unknown) => {
      parentPort?.postMessage({
        id: task.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies VerifyReply);
    },
  );
});

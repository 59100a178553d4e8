/**
 * `matriz restore` runs the restore in a worker thread with a bounded heap. The restore streams
 * the export and fsck keeps its replay on disk (store/scratch.ts), so its live heap is flat
 * (~20 MB at 100,000 entries); V8's default sizing would still let the heap grow to several
 * times that before collecting (docs/benchmarks.md, Export and restore). Worker resource limits
 * are Node's supported way to size one isolate's heap without flags on the command line.
 */
import { Worker } from 'node:worker_threads';
import { compiledWorkerFile } from '../files/worker-file.js';
import { RestoreError, type RestoreOptions, type RestoreSummary } from './restore.js';

/** Old generation of the restore's heap, MB: five times its live size at 100,000 entries. */
export const RESTORE_OLD_GENERATION_MB = 96;
const RESTORE_YOUNG_GENERATION_MB = 16;

/** An error the worker posted that is not a refusal: rethrown with its name, code and message. */
class WorkerFailure extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly code: unknown,
    stack: string | undefined,
  ) {
    super(message);
    if (stack !== undefined) this.stack = stack;
  }
}

type Reply =
  | { ok: true; summary: RestoreSummary }
  | {
      ok: false;
      error: { name: string; code?: unknown; message: string; stack?: string };
    };

export function restoreInWorker(options: RestoreOptions): Promise<RestoreSummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(compiledWorkerFile(import.meta.url, 'restore-thread.js'), {
      workerData: options,
      resourceLimits: {
        maxOldGenerationSizeMb: RESTORE_OLD_GENERATION_MB,
        maxYoungGenerationSizeMb: RESTORE_YOUNG_GENERATION_MB,
      },
    });
    let replied = false;
    worker.once('message', (reply: Reply) => {
      replied = true;
      if (reply.ok) resolve(reply.summary);
      else if (reply.error.name === 'RestoreError')
        reject(new RestoreError(reply.error.code as RestoreError['code'], reply.error.message));
      else
        reject(
          new WorkerFailure(
            reply.error.name,
            reply.error.message,
            reply.error.code,
            reply.error.stack,
          ),
        );
    });
    worker.once('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY')
        reject(
          new Error(
            `the restore ran out of its ${RESTORE_OLD_GENERATION_MB} MB heap: this export holds a record larger than any the registry writes`,
          ),
        );
      else reject(error);
    });
    worker.once('exit', (code) => {
      if (!replied) reject(new Error(`the restore worker exited with code ${code} and no answer`));
    });
  });
}

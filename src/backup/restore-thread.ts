/**
 * The worker thread `restoreInWorker` runs a restore in (restore-worker.ts): `restoreLog` with
 * the options it was given, its summary or its refusal posted back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RestoreError, restoreLog, type RestoreOptions } from './restore.js';

try {
  const summary = await restoreLog(workerData as RestoreOptions);
  parentPort?.postMessage({ ok: true, summary });
} catch (error) {
  parentPort?.postMessage({
    ok: false,
    error:
      error instanceof RestoreError
        ? { name: error.name, code: error.code, message: error.message }
        : {
            name: (error as Error).name,
            code: (error as { code?: unknown }).code,
            message: (error as Error).message,
            stack: (error as Error).stack,
          },
  });
}

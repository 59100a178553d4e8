/**
 * Worker thread that applies SQLite appends. A commit with `synchronous=FULL` waits for fsync;
 * doing it here keeps the event loop (HTTP, verification replies, reads) running meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from './sqlite-store.js';
import { StoreError, type AppendBatch } from './store.js';

export interface AppendTask {
  readonly id: number;
  readonly batch: AppendBatch;
}

export type AppendReply =
  | { readonly id: number }
  | { readonly id: number; readonly error: { code?: string; message: string } };

const store = openSqliteStore({ path: (workerData as { path: string }).path });

parentPort?.on('message', (task: AppendTask) => {
  store.append(task.batch).then(
    () => {
      parentPort?.postMessage({ id: task.id } satisfies AppendReply);
    },
    (error: unknown) => {
      const code = error instanceof StoreError ? error.code : undefined;
      parentPort?.postMessage({
        id: task.id,
        error: {
          ...(code === undefined ? {} : { code }),
          message: error instanceof Error ? error.message : String(error),
        },
      } satisfies AppendReply);
    },
  );
});

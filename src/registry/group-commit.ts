/**
 * Group commit: writes queue up and are committed in batches, one batch at a time. When idle, a
 * write starts a commit at once (after the current tick, so writes arriving together share it);
 * writes arriving during a commit form the next batch. A positive `maxDelayMs` instead waits that
 * long for a batch to fill; `maxBatch` caps every batch.
 *
 * The commit function answers every write of its batch with an outcome, and only then are the
 * writes' promises settled, each exactly once: a commit that retries internally (another writer
 * appended first) can still change any answer until it returns. If it throws, every write of the
 * batch fails with that error.
 */

export type Outcome<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export type CommitBatch<W, R> = (batch: readonly W[]) => Promise<readonly Outcome<R>[]>;

export interface GroupCommitOptions {
  /** Most writes per batch. */
  readonly maxBatch: number;
  /** 0: group commit. Otherwise how long a batch waits to fill, in milliseconds. */
  readonly maxDelayMs: number;
}

interface Queued<W, R> {
  readonly write: W;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit<W, R> {
  private queue: Queued<W, R>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private scheduled = false;

  constructor(
    private readonly commit: CommitBatch<W, R>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Writes waiting for a batch (not counting the batch being committed). */
  get depth(): number {
    return this.queue.length;
  }

  /** Queues `write`; settles with its outcome once its batch is committed. */
  submit(write: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      this.kick();
    });
  }

  /** Commits everything queued, then resolves. */
  async drain(): Promise<void> {
    while (this.busy || this.queue.length > 0) {
      this.commitQueued();
      await this.running;
    }
  }

  private kick(): void {
    if (this.busy || this.scheduled) return;
    if (this.options.maxDelayMs === 0 || this.queue.length >= this.options.maxBatch) {
      this.scheduled = true;
      setImmediate(() => {
        this.commitQueued();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.commitQueued();
      }, this.options.maxDelayMs);
    }
  }

  private commitQueued(): void {
    this.scheduled = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.busy) return;
    this.busy = true;
    this.running = (async () => {
      try {
        while (this.queue.length > 0)
          await this.commitOne(this.queue.splice(0, this.options.maxBatch));
      } finally {
        this.busy = false;
      }
    })();
  }

  private async commitOne(batch: readonly Queued<W, R>[]): Promise<void> {
    let outcomes: readonly Outcome<R>[];
    try {
      outcomes = await this.commit(batch.map((queued) => queued.write));
      if (outcomes.length !== batch.length)
        throw new Error(`group commit: ${outcomes.length} outcomes for ${batch.length} writes`);
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    batch.forEach((queued, i) => {
      const outcome = outcomes[i] as Outcome<R>;
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }
}

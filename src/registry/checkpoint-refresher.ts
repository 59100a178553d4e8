/**
 * Keeps the log's checkpoint fresh without writes: once no checkpoint has been signed for
 * `intervalMs`, asks the sequencer to sign the current tree again (same size, new timestamp).
 * C2SP logs publish checkpoints at a steady rate so witnesses and monitors can tell a live log
 * from a stale or frozen one; `registry_checkpoint_age_seconds` then stays below the interval
 * plus one commit, and alerts fire when it does not.
 */

/** What the refresher needs of the sequencer. */
export interface RefreshableLog {
  /** POSIX milliseconds of the last checkpoint this process stored, if any. */
  readonly lastSignedAt: number | undefined;
  refreshCheckpoint(): Promise<unknown>;
}

export interface CheckpointRefresherOptions {
  readonly intervalMs: number;
  /** Called when a refresh fails (a halted log, a store error); the next one is still tried. */
  readonly onError: (error: unknown) => void;
  readonly clock?: () => number;
}

export class CheckpointRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private readonly clock: () => number;

  constructor(
    private readonly log: RefreshableLog,
    private readonly options: CheckpointRefresherOptions,
  ) {
    if (!Number.isSafeInteger(options.intervalMs) || options.intervalMs <= 0)
      throw new RangeError(`checkpoint refresh interval must be a positive whole number of ms`);
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Waits until the newest checkpoint is `intervalMs` old (writes sign newer ones meanwhile). */
  private schedule(minDelayMs = 0): void {
    if (this.stopped) return;
    const last = this.log.lastSignedAt;
    const due = last === undefined ? 0 : last + this.options.intervalMs - this.clock();
    this.timer = setTimeout(
      () => {
        void this.tick();
      },
      Math.max(minDelayMs, due),
    );
    // A pending refresh never keeps the process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    const last = this.log.lastSignedAt;
    if (last === undefined || this.clock() - last >= this.options.intervalMs) {
      try {
        await this.log.refreshCheckpoint();
      } catch (error) {
        this.options.onError(error);
      }
      // Never spin: after a refresh (or a failed one) the next is at least an interval away.
      this.schedule(this.options.intervalMs);
      return;
    }
    this.schedule();
  }
}

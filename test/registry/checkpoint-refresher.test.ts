/** When the refresher re-signs: only once no checkpoint was signed for an interval. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckpointRefresher } from '../../src/registry/checkpoint-refresher.js';

/** A log whose checkpoints are signed at the fake clock's time, by writes or by refreshes. */
class FakeLog {
  lastSignedAt: number | undefined;
  refreshes: number[] = [];
  failWith: Error | undefined;
  refreshCheckpoint(): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.refreshes.push(Date.now());
    this.lastSignedAt = Date.now();
    return Promise.resolve();
  }
  write(): void {
    this.lastSignedAt = Date.now();
  }
}

let log: FakeLog;
let errors: unknown[];
let refresher: CheckpointRefresher;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  log = new FakeLog();
  errors = [];
  refresher = new CheckpointRefresher(log, {
    intervalMs: 60_000,
    onError: (error) => errors.push(error),
  });
});

afterEach(() => {
  refresher.stop();
  vi.useRealTimers();
});

describe('checkpoint refresher', () => {
  it('signs a log that has no checkpoint at once, then once per idle interval', async () => {
    refresher.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(log.refreshes).toStrictEqual([1_000_000]);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(log.refreshes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(log.refreshes).toStrictEqual([1_000_000, 1_060_000]);
  });

  it('does not re-sign while writes keep signing checkpoints', async () => {
    log.write();
    refresher.start();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(30_000);
      log.write();
    }
    expect(log.refreshes).toStrictEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log.refreshes).toStrictEqual([1_000_000 + 300_000 + 60_000]);
  });

  it('reports a failed refresh and tries again an interval later, without spinning', async () => {
    log.failWith = new Error('log-inconsistent');
    refresher.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(errors).toHaveLength(1);
    log.failWith = undefined;
    await vi.advanceTimersByTimeAsync(1);
    expect(errors).toHaveLength(1);
    expect(log.refreshes).toStrictEqual([1_060_000]);
  });

  it('stops: no refresh after stop()', async () => {
    log.write();
    refresher.start();
    refresher.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(log.refreshes).toStrictEqual([]);
  });

  it('refuses an interval that is not a positive whole number of milliseconds', () => {
    expect(() => new CheckpointRefresher(log, { intervalMs: 0, onError: () => undefined })).toThrow(
      /positive whole number/,
    );
  });
});

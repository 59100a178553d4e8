/**
 * Replication (replication.ts) on PostgreSQL: the `pending_writes` queue, the `sequencer_lease`
 * row, and LISTEN/NOTIFY on two channels.
 *
 * The lease is a row, not a session advisory lock (docs/architecture.md, "Replicas"): an advisory
 * lock lives as long as its connection, and the connection of a frozen process (SIGSTOP, a VM
 * pause, a half-open network) stays open, so a lock would never pass to another replica. The row
 * expires by the database's clock alone, and its epoch fences: every append and settlement
 * carrying a fence reads the row FOR SHARE in its transaction and commits only while the fence's
 * holder and epoch are current and unexpired. A replica taking over updates the same row, so it
 * waits for an append in flight to end, and any append after it sees the new epoch.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { pack } from './postgres-packed.js';
import { StoreError } from './store.js';
import type {
  AcquiredLease,
  Fence,
  PendingWrite,
  QueuedWrite,
  Replication,
  ReplicationEvent,
  SettledWrite,
  Settlement,
  WriteToQueue,
} from './replication.js';

/** NOTIFY channels: a write was queued (the sequencer wakes); writes were settled. */
export const CHANNELS: Record<ReplicationEvent, string> = {
  queued: 'matriz_queued',
  settled: 'matriz_settled',
};

type Queryable = Pick<pg.PoolClient, 'query'>;

export class PostgresReplication implements Replication {
  constructor(
    private readonly pool: pg.Pool,
    private readonly connection: { readonly connectionString: string; readonly schema: string },
  ) {}

  /**
   * One statement, so one round trip: the insert, the rows of the nonces already queued (a
   * statement's reads do not see its own inserts, hence the union with what it returns) and the
   * notification, committed together.
   */
  async enqueue(writes: readonly WriteToQueue[]): Promise<QueuedWrite[]> {
    if (writes.length === 0) return [];
    const nonces = writes.map((w) => w.nonce);
    const requests = pack(writes.map((w) => w.request));
    const { rows } = await this.pool.query<{ id: string; nonce: string; digest: string }>(
      `WITH inserted AS (
         INSERT INTO pending_writes (nonce, digest, request, expires_at)
         SELECT w.nonce, w.digest, convert_from(substring($3::bytea FROM w.start FOR w.len), 'UTF8'), w.expires_at
           FROM unnest($1::text[], $2::text[], $4::integer[], $5::integer[], $6::bigint[])
             AS w(nonce, digest, start, len, expires_at)
         ON CONFLICT (nonce) DO NOTHING
         RETURNING id, nonce, digest
       ), queued AS (
         SELECT id, nonce, digest FROM inserted
         UNION ALL
         SELECT id, nonce, digest FROM pending_writes WHERE nonce = ANY($1::text[])
       )
       SELECT id, nonce, digest, pg_notify($7, NULL) FROM queued`,
      [
        nonces,
        writes.map((w) => w.digest),
        requests.bytes,
        requests.starts,
        requests.lengths,
        writes.map((w) => w.expiresAt),
        CHANNELS.queued,
      ],
    );
    const byNonce = new Map(rows.map((row) => [row.nonce, queuedFromRow(row)]));
    // A nonce another replica queued while this statement ran is neither inserted nor seen by
    // its snapshot: read it now that it has committed.
    const missing = nonces.filter((nonce) => !byNonce.has(nonce));
    if (missing.length > 0) {
      const late = await this.pool.query<{ id: string; nonce: string; digest: string }>(
        'SELECT id, nonce, digest FROM pending_writes WHERE nonce = ANY($1::text[])',
        [missing],
      );
      for (const row of late.rows) byNonce.set(row.nonce, queuedFromRow(row));
    }
    return writes.map((write) => {
      const queued = byNonce.get(write.nonce);
      if (queued === undefined)
        throw new StoreError('invalid', `the queued write with nonce ${write.nonce} vanished`);
      return queued;
    });
  }

  async queued(nonce: string): Promise<QueuedWrite | undefined> {
    const { rows } = await this.pool.query<{ id: string; nonce: string; digest: string }>(
      'SELECT id, nonce, digest FROM pending_writes WHERE nonce = $1',
      [nonce],
    );
    return rows[0] && queuedFromRow(rows[0]);
  }

  async outcomes(ids: readonly number[]): Promise<Map<number, SettledWrite>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<{ id: string; outcome: string }>(
      'SELECT id, outcome FROM pending_writes WHERE id = ANY($1::bigint[]) AND outcome IS NOT NULL',
      [ids],
    );
    return new Map(rows.map((row) => [Number(row.id), JSON.parse(row.outcome) as SettledWrite]));
  }

  async unsettled(limit: number): Promise<PendingWrite[]> {
    const { rows } = await this.pool.query<{ id: string; request: string }>(
      'SELECT id, request FROM pending_writes WHERE outcome IS NULL ORDER BY id LIMIT $1',
      [limit],
    );
    return rows.map((row) => ({ id: Number(row.id), request: row.request }));
  }

  async settle(fence: Fence, settlements: readonly Settlement[]): Promise<void> {
    if (settlements.length === 0) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await checkFence(client, fence);
      await settleIn(client, settlements);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async unsettledCount(): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      'SELECT count(*) AS count FROM pending_writes WHERE outcome IS NULL',
    );
    return Number(rows[0]?.count ?? 0);
  }

  async publishCosigned(note: string, size: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO cosigned_checkpoint (id, size, note) VALUES (1, $1, $2)
       ON CONFLICT (id) DO UPDATE SET size = excluded.size, note = excluded.note
       WHERE cosigned_checkpoint.size <= excluded.size`,
      [size, note],
    );
  }

  async cosigned(): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ note: string }>(
      'SELECT note FROM cosigned_checkpoint WHERE id = 1',
    );
    return rows[0]?.note;
  }

  async prune(now: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM pending_writes WHERE outcome IS NOT NULL AND expires_at <= $1',
      [now],
    );
    return rowCount ?? 0;
  }

  async acquire(holder: string, leaseMs: number): Promise<AcquiredLease | undefined> {
    // `previous` is read in the statement's snapshot, before the update; a replica that races
    // this one re-checks the expiry on the updated row and takes nothing.
    const { rows } = await this.pool.query<{ epoch: string; previous: string | null }>(
      `UPDATE sequencer_lease AS lease
          SET holder = $1, epoch = lease.epoch + 1,
              expires_at = clock_timestamp() + $2 * interval '1 millisecond',
              acquired_at = clock_timestamp()
         FROM (SELECT holder, expires_at FROM sequencer_lease WHERE id = 1) AS previous
        WHERE lease.id = 1 AND lease.expires_at <= clock_timestamp()
        RETURNING lease.epoch,
                  CASE WHEN previous.expires_at = '-infinity' THEN NULL ELSE previous.holder END AS previous`,
      [holder, leaseMs],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      holder,
      epoch: Number(row.epoch),
      previousHolder: row.previous === null || row.previous === '' ? undefined : row.previous,
    };
  }

  async renew(fence: Fence, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE sequencer_lease SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
        WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > clock_timestamp()`,
      [fence.holder, fence.epoch, leaseMs],
    );
    return (rowCount ?? 0) === 1;
  }

  async release(fence: Fence): Promise<void> {
    await this.pool.query(
      `UPDATE sequencer_lease SET expires_at = '-infinity' WHERE id = 1 AND holder = $1 AND epoch = $2`,
      [fence.holder, fence.epoch],
    );
  }

  async listen(listener: (event: ReplicationEvent) => void): Promise<{ close(): Promise<void> }> {
    const events = new Map(
      Object.entries(CHANNELS).map(([event, channel]) => [channel, event as ReplicationEvent]),
    );
    let closed = false;
    let client: pg.Client | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({
        connectionString: this.connection.connectionString,
        options: `-c search_path=${this.connection.schema}`,
      });
      // A dropped connection is opened again; meanwhile the replicas' polling carries on.
      next.on('error', () => {
        reopen(next);
      });
      next.on('end', () => {
        reopen(next);
      });
      next.on('notification', (message) => {
        const event = events.get(message.channel);
        if (event !== undefined) listener(event);
      });
      client = next;
      await next.connect();
      for (const channel of events.keys()) await next.query(`LISTEN ${channel}`);
    };
    const reopen = (dropped: pg.Client): void => {
      if (closed || client !== dropped || retry !== undefined) return;
      client = undefined;
      void dropped.end().catch(() => undefined);
      retry = setTimeout(() => {
        retry = undefined;
        connect().catch(() => {
          if (client !== undefined) reopen(client);
        });
      }, 1000);
      retry.unref();
    };
    await connect();
    return {
      close: async () => {
        closed = true;
        if (retry !== undefined) clearTimeout(retry);
        await client?.end().catch(() => undefined);
      },
    };
  }
}

/** The name a replica's sequencer holds the lease under: unique to this process. */
export function leaseHolderName(random: string): string {
  return `${hostname()}/${process.pid}/${random}`;
}

/**
 * Inside a transaction: fails with `fenced` unless `fence` holds the lease, unexpired by the
 * database's clock. FOR SHARE keeps a takeover (an UPDATE of the row) waiting until this
 * transaction ends.
 */
export async function checkFence(client: Queryable, fence: Fence): Promise<void> {
  const { rows } = await client.query<{ holder: string; epoch: string; current: boolean }>(
    'SELECT holder, epoch, expires_at > clock_timestamp() AS current FROM sequencer_lease WHERE id = 1 FOR SHARE',
  );
  const row = rows[0];
  if (row?.holder === fence.holder && Number(row.epoch) === fence.epoch && row.current) return;
  throw new StoreError(
    'fenced',
    row === undefined || row.holder !== fence.holder || Number(row.epoch) !== fence.epoch
      ? `the sequencer lease passed to ${row?.holder ?? 'nobody'} (epoch ${row?.epoch ?? '?'}); this replica (epoch ${fence.epoch}) may not append`
      : `the sequencer lease of epoch ${fence.epoch} expired; this replica may not append until it holds the lease again`,
  );
}

/**
 * Inside a transaction: records the outcomes, each on a write not settled yet; fails (changing
 * nothing, with the transaction) if one was settled already, so no write is settled twice.
 */
export async function settleIn(
  client: Queryable,
  settlements: readonly Settlement[],
): Promise<void> {
  if (settlements.length === 0) return;
  const { rowCount } = await client.query(
    `UPDATE pending_writes AS p SET outcome = s.outcome, settled_at = clock_timestamp()
       FROM unnest($1::bigint[], $2::text[]) AS s (id, outcome)
      WHERE p.id = s.id AND p.outcome IS NULL`,
    [settlements.map((s) => s.id), settlements.map((s) => JSON.stringify(s.settled))],
  );
  if ((rowCount ?? 0) !== settlements.length)
    throw new StoreError(
      'size-conflict',
      `${settlements.length - (rowCount ?? 0)} of the batch's queued writes were settled already (another sequencer?)`,
    );
  await client.query('SELECT pg_notify($1, NULL)', [CHANNELS.settled]);
}

function queuedFromRow(row: { id: string; nonce: string; digest: string }): QueuedWrite {
  return { id: Number(row.id), nonce: row.nonce, digest: row.digest };
}

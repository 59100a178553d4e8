import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { AnswerCache } from '../../src/store/entry-pages.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from '../support/postgres.js';
import { describeStoreConformance } from './conformance.js';
import { expectOldEntryIndexed, schema5Statements } from './schema-5.js';

const available = await postgresAvailable();
const schemas: string[] = [];
let current = '';

afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

describe.runIf(available)('PostgreSQL', () => {
  describeStoreConformance(
    'PostgreSQL',
    () => {
      current = uniqueSchema();
      schemas.push(current);
      return openPostgresStore({
        connectionString: POSTGRES_URL,
        schema: current,
        answerCache: new AnswerCache(1 << 20),
      });
    },
    () =>
      openPostgresStore({
        connectionString: POSTGRES_URL,
        schema: current,
        answerCache: new AnswerCache(1 << 20),
      }),
  );

  it('builds the entry index of a database written before it (schema 5), once', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`SET search_path = ${schema}`);
      for (const statement of schema5Statements('postgres')) await client.query(statement);
    } finally {
      await client.end();
    }
    const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema });
    await expectOldEntryIndexed(store);
    // Migration 9 dropped the two indexes nothing read any more.
    const check = new pg.Client({ connectionString: POSTGRES_URL });
    await check.connect();
    try {
      const { rows } = await check.query<{ indexname: string }>(
        'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
        [schema, 'entries'],
      );
      const names = rows.map((row) => row.indexname);
      expect(names).not.toContain('entries_owner');
      expect(names).not.toContain('entries_lane');
      expect(names.length).toBeGreaterThan(0);
    } finally {
      await check.end();
    }
  });

  it('serializes appends from two replicas: the one with a stale size gets size-conflict', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const [a, b] = await Promise.all([
      openPostgresStore({ connectionString: POSTGRES_URL, schema }),
      openPostgresStore({ connectionString: POSTGRES_URL, schema }),
    ]);
    const batch = (leaf: string) => ({
      expectedSize: 0,
      leaves: [new TextEncoder().encode(leaf)],
      subtreeHashes: [],
      checkpoint: { size: 1, note: `${leaf}\n`, signedAt: 1 },
      entries: [],
      nonces: [],
    });
    const results = await Promise.allSettled([
      a.append(batch('from a')),
      b.append(batch('from b')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { code: 'size-conflict' },
    });
    expect(await a.treeSize()).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses an invalid schema name before touching the database', async () => {
    await expect(
      openPostgresStore({ connectionString: POSTGRES_URL, schema: 'x; DROP TABLE y' }),
    ).rejects.toMatchObject({ code: 'invalid' });
  });
});

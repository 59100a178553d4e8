import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL =
  process.env.MATRIZ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether the test PostgreSQL answers. CI starts it and sets MATRIZ_REQUIRE_POSTGRES=1, which
 * turns an unreachable server into a failure instead of skipped tests.
 */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    if (process.env.MATRIZ_REQUIRE_POSTGRES === '1') {
      throw new Error(
        `PostgreSQL is required (MATRIZ_REQUIRE_POSTGRES=1) but ${POSTGRES_URL} is unreachable: ${String(error)}`,
      );
    }
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema name; dropped by `dropSchema`. */
export function uniqueSchema(): string {
  return `matriz_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Runs `use` with the URL of a new, empty database on the test server (for code that takes a
 * whole database, like `--database-url`), and drops the database afterwards.
 */
export async function withScratchDatabase(
  prefix: string,
  use: (url: string) => Promise<void>,
): Promise<void> {
  const database = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    await use(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

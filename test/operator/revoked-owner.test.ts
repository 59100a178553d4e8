/**
 * Entries of a revoked owner key say so (issue 13, "revoked owner's entries stay active"): reads
 * and queries carry `owner_revoked_at` from the newest revocation list, and only for that owner.
 */
import path from 'node:path';
import { refusal } from '../support/registry.js';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import {
  buildLogWithHistory,
  DATA_DIR_ENV,
  openOperator,
  openWriter,
} from '../support/data-dir-log.js';
import { tempDir } from '../support/tmp.js';

const ORIGIN = 'revoked.test/matriz';

describe('entries of a revoked owner key', () => {
  it(
    'carry owner_revoked_at in reads and queries; other owners entries do not',
    { timeout: 60_000 },
    async () => {
      const dataDir = path.join(tempDir(), 'data');
      // Two entries by an owner whose key is revoked ("lost laptop"), others by an enrolled owner.
      await buildLogWithHistory(dataDir, ORIGIN, 4);
      const writer = await openWriter(dataDir, ORIGIN);
      try {
        const revoked = await writer.registry.get('mallory_0@1.0.0');
        expect(revoked.owner_revoked_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        expect(revoked.status).toBe('active');
        expect((await writer.registry.get('before_0@1.0.0')).owner_revoked_at).toBeUndefined();
        const page = await writer.registry.query({ limit: 50 });
        const flagged = page.entries.filter((e) => e.owner_revoked_at !== undefined);
        expect(flagged.map((e) => e.registry_id).sort()).toEqual([
          'mallory_0@1.0.0',
          'mallory_1@1.0.0',
        ]);
      } finally {
        await writer.close();
      }
    },
  );
});

describe('takedown by the revocation role', () => {
  it(
    'deregisters an entry of a revoked key, refuses one whose key is not revoked, and fsck replays it',
    { timeout: 60_000 },
    async () => {
      const dataDir = path.join(tempDir(), 'data');
      await buildLogWithHistory(dataDir, ORIGIN, 4);
      const operator = await openOperator(dataDir);
      try {
        const result = await operator.takeDown('mallory_0@1.0.0', 'key compromised: lost laptop');
        const notRevoked = await refusal(operator.takeDown('before_0@1.0.0', 'no reason'));
        expect(notRevoked.slug).toBe('invalid-request');
        expect(notRevoked.detail).toMatch(/is not revoked: owners deregister their own entries/);
        const again = await refusal(operator.takeDown('mallory_0@1.0.0', 'twice'));
        expect(again.slug).toBe('already-deregistered');
        expect((await refusal(operator.takeDown('nothing@1.0.0', 'x'))).slug).toBe('not-found');
        const writer = await openWriter(dataDir, ORIGIN);
        try {
          expect(await writer.registry.get('mallory_0@1.0.0')).toMatchObject({
            status: 'deregistered',
            deregistered_log_index: result.index,
          });
          expect((await writer.registry.get('mallory_1@1.0.0')).status).toBe('active');
        } finally {
          await writer.close();
        }
      } finally {
        await operator.close();
      }
      const io = captureIo({ cwd: dataDir, env: DATA_DIR_ENV });
      expect(await main(['fsck', '--data-dir', dataDir], io), io.err()).toBe(0);
    },
  );
});

/**
 * RT-FUZZ (legacy import): the prototype registry's store file, read by `matriz import-legacy`.
 * The HMAC keeps strangers out, but the prototype wrote what its users sent: a mutated store with
 * a valid HMAC is refused with LegacyStoreError, or planned entry by entry (the rest skipped with a
 * reason), and every planned import becomes a legacy-import record the trust layer accepts.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LegacyStoreError,
  planLegacyImport,
  readLegacyStore,
} from '../../src/backup/legacy-store.js';
import { legacyImportPayload, parseLegacyImport } from '../../src/trust/legacy-import.js';
import { fuzzParameters, fuzzTimeout, hostileBytes, Outcomes } from './fuzz.js';
import { observe } from './observe.js';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/legacy-prototype');
const store = new Uint8Array(readFileSync(path.join(FIXTURE, 'registry_store.json')));
const key = new TextEncoder().encode(
  readFileSync(path.join(FIXTURE, 'hmac_key.txt'), 'utf8').trim(),
);
const hmacOf = (bytes: Uint8Array) => createHmac('sha256', key).update(bytes).digest('hex');

describe('RT-FUZZ: legacy store', () => {
  it(
    'RT-FUZZ-23: a mutated prototype store with a valid HMAC is refused (LegacyStoreError) or planned, and every planned import is a valid legacy-import record',
    async () => {
      const reading = new Outcomes([LegacyStoreError]);
      let planned = 0;
      let skipped = 0;
      await fc.assert(
        fc.asyncProperty(hostileBytes([store]), async (bytes) => {
          const legacy = reading.run(() => readLegacyStore(bytes, hmacOf(bytes), key));
          if (!legacy) return;
          const plan = await planLegacyImport(legacy, () => Promise.resolve(undefined));
          skipped += plan.skipped.length;
          for (const entry of plan.skipped) expect(entry.reason.length).toBeGreaterThan(0);
          for (const planImport of plan.imports) {
            planned++;
            const payload = legacyImportPayload({
              origin: 'registry.test/legacy',
              legacyId: planImport.legacyId,
              registryId: planImport.registryId,
              registeredAt: planImport.registeredAt,
              mode: planImport.mode,
              nodeSpec: planImport.nodeSpec,
              source: { sha256: legacy.sha256, hmac_sha256: legacy.hmac, skipped: plan.skipped },
            });
            expect(parseLegacyImport(payload).registryId).toBe(planImport.registryId);
          }
        }),
        fuzzParameters(200),
      );
      reading.report('legacy stores');
      observe(`${planned} imports planned, ${skipped} entries skipped with a reason`);
      expect(reading.refused).toBeGreaterThan(0);
      expect(planned).toBeGreaterThan(0);
    },
    fuzzTimeout(30_000),
  );
});

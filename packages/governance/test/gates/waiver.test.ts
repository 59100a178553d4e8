import { describe, expect, it } from 'vitest';
import { isWaiverExpired, parseWaiverExpiry } from '../../src/gates/waiver.js';

function waiver(expires: string): Parameters<typeof isWaiverExpired>[0] {
  const date = parseWaiverExpiry(expires);
  if (!date) throw new Error(`bad date ${expires}`);
  return { issue: '1', reason: 'r', expires: date, expiresText: expires };
}

describe('waivers', () => {
  it('expire at the start of the named day, UTC', () => {
    expect(isWaiverExpired(waiver('2026-03-01'), new Date('2026-02-28T23:59:59Z'))).toBe(false);
    expect(isWaiverExpired(waiver('2026-03-01'), new Date('2026-03-01T00:00:00Z'))).toBe(true);
  });

  it('expire at the named instant when given a date-time with an offset', () => {
    const w = waiver('2026-03-01T12:00:00+02:00');
    expect(isWaiverExpired(w, new Date('2026-03-01T09:59:59Z'))).toBe(false);
    expect(isWaiverExpired(w, new Date('2026-03-01T10:00:00Z'))).toBe(true);
  });

  it('refuse dates that are not on the calendar or not RFC 3339', () => {
    for (const text of [
      '2026-02-30',
      '2026-13-01',
      'tomorrow',
      '2026-03-01T12:00:00',
      '01/03/2026',
    ])
      expect(parseWaiverExpiry(text)).toBeUndefined();
    expect(parseWaiverExpiry('2028-02-29')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });
});

/**
 * Waivers: a failing gate is `WAIVED` only while its waiver is unexpired. A waiver that names a
 * date (`2026-12-31`) expires at the start of that day, UTC; one that names an RFC 3339 date-time
 * expires at that instant. An expired waiver covers nothing: the gate's failure stands.
 */

export interface Waiver {
  /** The issue tracking the failure (a number or a URL). */
  readonly issue: string;
  readonly reason: string;
  readonly expires: Date;
  /** The expiry as written in the configuration. */
  readonly expiresText: string;
}

const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseWaiverExpiry(text: string): Date | undefined {
  if (FULL_DATE.test(text)) {
    const date = new Date(`${text}T00:00:00Z`);
    // Reject dates the calendar does not have (2026-02-30 would roll over to March).
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text) ? date : undefined;
  }
  if (DATE_TIME.test(text)) {
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

export function isWaiverExpired(waiver: Waiver, now: Date): boolean {
  return now.getTime() >= waiver.expires.getTime();
}

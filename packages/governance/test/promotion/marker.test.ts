import { describe, expect, it } from 'vitest';
import { markerScanner } from '../../src/promotion/marker.js';

const scan = markerScanner(['TEMP-STUB']);

describe('promotion marker grammar', () => {
  it('reads the tracking issue and the reason of TEMP-STUB(#<issue>): <reason>', () => {
    expect(scan('// TEMP-STUB(#42): replace the HMAC with ML-DSA\n')).toEqual([
      {
        marker: 'TEMP-STUB',
        line: 1,
        column: 4,
        issue: 42,
        reason: 'replace the HMAC with ML-DSA',
      },
    ]);
  });

  it('finds a bare TEMP-STUB, without issue or reason', () => {
    expect(scan('x = 1\n  key: TEMP-STUB\n')).toEqual([
      { marker: 'TEMP-STUB', line: 2, column: 8 },
    ]);
  });

  it('finds markers in strings and configuration, and every marker on a line', () => {
    const found = scan('a\nb\nconst s = "TEMP-STUB"; /* TEMP-STUB(#7) */\n');
    expect(found.map((m) => [m.line, m.column, m.issue])).toEqual([
      [3, 12, undefined],
      [3, 27, 7],
    ]);
  });

  it('counts columns in UTF-16 code units after astral characters', () => {
    expect(scan('"😀" TEMP-STUB')[0]?.column).toBe(6);
  });

  it('ignores words that only contain the marker', () => {
    expect(scan('TEMP-STUBS MY-TEMP-STUB TEMP-STUB_x xTEMP-STUB')).toEqual([]);
  });

  it('reports CRLF files on the right lines', () => {
    expect(scan('one\r\ntwo\r\n# TEMP-STUB(#3): later\r\n')).toEqual([
      { marker: 'TEMP-STUB', line: 3, column: 3, issue: 3, reason: 'later' },
    ]);
  });

  it('uses the markers the manifest configures', () => {
    const custom = markerScanner(['FIXME-BEFORE-RELEASE', 'TEMP-STUB']);
    expect(custom('FIXME-BEFORE-RELEASE(#1)\nTEMP-STUB').map((m) => m.marker)).toEqual([
      'FIXME-BEFORE-RELEASE',
      'TEMP-STUB',
    ]);
  });
});

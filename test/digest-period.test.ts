// Digest periods in the server's zone (src/digest/period.ts): weeks from Monday at local midnight, months
// from the 1st, across DST changes and half-hour offsets. Expected instants are written out by hand from
// the zones' rules (tz database), not computed with the code under test.
import { describe, expect, it } from 'vitest';
import { lastCompletePeriod, nextPeriodStart, periodStart, previousPeriod } from '../src/digest/period.js';

const iso = (d: Date) => d.toISOString();

describe('digest periods', () => {
  it('weeks start on Monday at local midnight, also in a week with a DST change (167 hours)', () => {
    // Europe/Berlin moves to CEST on Sunday 2026-03-29: Monday 23 March 00:00 CET is 22 March 23:00 UTC,
    // Monday 30 March 00:00 CEST is 29 March 22:00 UTC.
    expect(iso(periodStart(Date.parse('2026-03-27T12:00:00Z'), 'week', 'Europe/Berlin'))).toBe(
      '2026-03-22T23:00:00.000Z',
    );
    expect(iso(nextPeriodStart(Date.parse('2026-03-27T12:00:00Z'), 'week', 'Europe/Berlin'))).toBe(
      '2026-03-29T22:00:00.000Z',
    );
    // Sunday 23:59 in Kolkata (+05:30) still belongs to the week that began six days earlier.
    expect(iso(periodStart(Date.parse('2026-11-15T18:29:00Z'), 'week', 'Asia/Kolkata'))).toBe(
      '2026-11-08T18:30:00.000Z',
    );
    expect(iso(periodStart(Date.parse('2026-11-15T18:30:00Z'), 'week', 'Asia/Kolkata'))).toBe(
      '2026-11-15T18:30:00.000Z',
    );
  });

  it('months start on the 1st at local midnight; the last complete one and the one before it', () => {
    // New York leaves EDT on Sunday 2026-11-01 at 02:00, after that day's midnight (still EDT, 04:00 UTC).
    const p = lastCompletePeriod(Date.parse('2026-11-02T12:00:00Z'), 'month', 'America/New_York');
    expect([iso(p.from), iso(p.to)]).toEqual(['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z']);
    const before = previousPeriod(p, 'month', 'America/New_York');
    expect([iso(before.from), iso(before.to)]).toEqual(['2026-09-01T04:00:00.000Z', '2026-10-01T04:00:00.000Z']);
    // December to January crosses the year; EST is 5 hours behind.
    expect(iso(nextPeriodStart(Date.parse('2026-12-15T00:00:00Z'), 'month', 'America/New_York'))).toBe(
      '2027-01-01T05:00:00.000Z',
    );
  });
});

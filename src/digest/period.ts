// Digest periods in the server's zone: weeks start on Monday at local midnight (ISO 8601), months on the
// 1st; a DST change inside a period makes it an hour shorter or longer, as the server's calendar is.
import { startOfZonedDay, zonedCalendarDate } from '../stats/period.js';

export type Every = 'week' | 'month';

export interface Period {
  from: Date;
  to: Date;
}

/** Start of the period holding the instant `at`. */
export function periodStart(at: number, every: Every, timeZone: string): Date {
  const d = zonedCalendarDate(at, timeZone);
  if (every === 'month') return startOfZonedDay(d.year, d.month, 1, timeZone);
  const weekday = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay(); // 0 Sunday
  const monday = new Date(Date.UTC(d.year, d.month - 1, d.day - ((weekday + 6) % 7)));
  return startOfZonedDay(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), timeZone);
}

/** The period starting at `start` (a period start), shifted by `n` periods. */
function shifted(start: Date, every: Every, timeZone: string, n: number): Date {
  const d = zonedCalendarDate(start.getTime(), timeZone);
  const u =
    every === 'month'
      ? new Date(Date.UTC(d.year, d.month - 1 + n, 1))
      : new Date(Date.UTC(d.year, d.month - 1, d.day + 7 * n));
  return startOfZonedDay(u.getUTCFullYear(), u.getUTCMonth() + 1, u.getUTCDate(), timeZone);
}

/** The last complete period before the instant `at`. */
export function lastCompletePeriod(at: number, every: Every, timeZone: string): Period {
  const to = periodStart(at, every, timeZone);
  return { from: shifted(to, every, timeZone, -1), to };
}

/** The period before `p`. */
export function previousPeriod(p: Period, every: Every, timeZone: string): Period {
  return { from: shifted(p.from, every, timeZone, -1), to: p.from };
}

/** Start of the period after the one holding `at`. */
export function nextPeriodStart(at: number, every: Every, timeZone: string): Date {
  return shifted(periodStart(at, every, timeZone), every, timeZone, 1);
}

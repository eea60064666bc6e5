// Lookback periods offered by the commands, the bucket each one is drawn with, and calendar-date ranges
// in a guild's time zone.
export const PERIODS = {
  '1h': { ms: 3_600_000, bucket: 'minute' },
  '24h': { ms: 86_400_000, bucket: 'hour' },
  '7d': { ms: 7 * 86_400_000, bucket: 'hour' },
  '30d': { ms: 30 * 86_400_000, bucket: 'day' },
  '90d': { ms: 90 * 86_400_000, bucket: 'day' },
  '1y': { ms: 365 * 86_400_000, bucket: 'day' },
} as const;

export type PeriodName = keyof typeof PERIODS;
export type Bucket = (typeof PERIODS)[PeriodName]['bucket'];

/** Every period a command offers: the fixed lookbacks, and `all` (since the first thing recorded). */
export const PERIOD_CHOICES = [...(Object.keys(PERIODS) as PeriodName[]), 'all'] as const;
export type PeriodChoice = PeriodName | 'all';

export const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function isPeriod(value: string): value is PeriodName {
  return Object.hasOwn(PERIODS, value);
}

export function isPeriodChoice(value: string): value is PeriodChoice {
  return value === 'all' || isPeriod(value);
}

/** The bucket a span is drawn with: per minute up to an hour, per hour up to a week, per day beyond. */
export function bucketForSpan(ms: number): Bucket {
  if (ms <= PERIODS['1h'].ms) return 'minute';
  if (ms <= PERIODS['7d'].ms) return 'hour';
  return 'day';
}

/** Milliseconds the zone is ahead of UTC at the instant `at`. */
export function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return local - Math.floor(at / 1000) * 1000;
}

/**
 * The instant a calendar day starts in the zone. Two passes settle the offset on DST days (a zone that
 * skips midnight starts the day at the first instant after the gap).
 */
export function startOfZonedDay(year: number, month: number, day: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day);
  let at = wall - zoneOffsetMs(wall, timeZone);
  at = wall - zoneOffsetMs(at, timeZone);
  return new Date(at);
}

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** `YYYY-MM-DD` as a real calendar date, or undefined (wrong shape, or a day the month does not have). */
export function parseCalendarDate(s: string): CalendarDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

/** The calendar day after `d`. */
export function nextDay(d: CalendarDate): CalendarDate {
  const n = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: n.getUTCFullYear(), month: n.getUTCMonth() + 1, day: n.getUTCDate() };
}

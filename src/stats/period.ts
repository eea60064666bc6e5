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

const OFFSET_FORMATS = new Map<string, Intl.DateTimeFormat>();
// The formatted date ends with the offset: "11/15/2023, GMT+05:30" ("GMT" alone at zero).
const LONG_OFFSET = /GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** Seconds the zone is ahead of UTC at the instant `at` (ICU's "GMT+05:30"; one formatter per zone). */
function zoneOffsetSeconds(at: number, timeZone: string): number {
  let f = OFFSET_FORMATS.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    if (OFFSET_FORMATS.size > 1_000) OFFSET_FORMATS.clear();
    OFFSET_FORMATS.set(timeZone, f);
  }
  // format() and a regex: several times cheaper than formatToParts, and offsets are sampled in bulk.
  const text = f.format(at);
  const m = LONG_OFFSET.exec(text);
  if (!m) throw new Error(`unexpected offset in "${text}" for ${timeZone}`);
  if (!m[1]) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0));
}

/** Milliseconds the zone is ahead of UTC at the instant `at`. */
export function zoneOffsetMs(at: number, timeZone: string): number {
  return zoneOffsetSeconds(at, timeZone) * 1000;
}

/** Minutes the zone is ahead of UTC at the instant `at` (fractional for historic local mean times). */
export function zoneOffsetMinutes(at: number, timeZone: string): number {
  return zoneOffsetSeconds(at, timeZone) / 60;
}

/**
 * The instant a calendar day starts in the zone: the first minute whose local date is that day. Local
 * midnight of a date lies within [00:00 - 14 h, 00:00 + 12 h] UTC of the same date, and local dates only
 * move forward, so a binary search over minutes finds it, also where midnight is skipped (the day starts
 * after the gap, e.g. America/Santiago) or happens twice (the first one, e.g. America/Havana).
 */
export function startOfZonedDay(year: number, month: number, day: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day);
  const target = wall / 86_400_000;
  const localDay = (at: number) => Math.floor((at + zoneOffsetMs(at, timeZone)) / 86_400_000);
  let lo = (wall - 15 * 3_600_000) / 60_000; // a minute before the day, in every zone
  let hi = (wall + 13 * 3_600_000) / 60_000; // a minute inside it
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(mid * 60_000) >= target) hi = mid;
    else lo = mid;
  }
  return new Date(hi * 60_000);
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

/** The calendar date in the zone at the instant `at`. */
export function zonedCalendarDate(at: number, timeZone: string): CalendarDate {
  const local = new Date(at + zoneOffsetMs(at, timeZone));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/** The instant the zone's day holding `at` started. */
export function startOfZonedDayAt(at: number, timeZone: string): Date {
  const d = zonedCalendarDate(at, timeZone);
  return startOfZonedDay(d.year, d.month, d.day, timeZone);
}

/** The calendar day after `d`. */
export function nextDay(d: CalendarDate): CalendarDate {
  const n = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: n.getUTCFullYear(), month: n.getUTCMonth() + 1, day: n.getUTCDate() };
}

/** The calendar date `days` before the local date of `at` in the zone. */
export function localDateMinus(at: number, timeZone: string, days: number): CalendarDate {
  const local = new Date(at + zoneOffsetMs(at, timeZone));
  const d = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

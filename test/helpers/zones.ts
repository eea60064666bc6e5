// Zone facts for property tests, from ICU (Intl.DateTimeFormat) alone: nothing here comes from src/, so
// the bot's bucketing (PostgreSQL's tz database, src/stats/zoned.ts) is checked against an independent
// reference. Instants are milliseconds since the epoch, on whole minutes (raw buckets are minutes).
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const partFormats = new Map<string, Intl.DateTimeFormat>();

/** UTC offset in minutes at instant t. */
export function offsetAt(t: number, zone: string): number {
  let f = offsetFormats.get(zone);
  if (!f)
    offsetFormats.set(zone, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })));
  const m = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(f.format(t))!;
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]) + Number(m[4] ?? 0) / 60) : 0;
}

export interface Local {
  /** YYYY-MM-DD */
  date: string;
  hour: number;
  minute: number;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  /** Minutes ahead of UTC. */
  offset: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

const memo = new Map<string, Local>();

/** Local wall clock at instant t (memoised: the reference asks about the same minutes many times). */
export function local(t: number, zone: string): Local {
  const key = `${zone}|${t}`;
  const hit = memo.get(key);
  if (hit) return hit;
  if (memo.size > 500_000) memo.clear();
  const l = computeLocal(t, zone);
  memo.set(key, l);
  return l;
}

function computeLocal(t: number, zone: string): Local {
  let f = partFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    partFormats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    hour: Number(p.hour),
    minute: Number(p.minute),
    weekday: WEEKDAYS[p.weekday!]!,
    offset: offsetAt(t, zone),
  };
}

export type Unit = 'hour' | 'day';

/** Which local bucket instant t is in: a local hour is its date, hour and offset (two 02:00 hours are two); a day its date. */
export function bucketOf(t: number, zone: string, unit: Unit): string {
  const l = local(t, zone);
  return unit === 'day' ? l.date : `${l.date}T${String(l.hour).padStart(2, '0')}|${l.offset}`;
}

/** First minute in (lo, hi] whose bucket differs from lo's (the bucket changes once in the interval). */
function firstChange(lo: number, hi: number, zone: string, unit: Unit): number {
  const k = bucketOf(lo, zone, unit);
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (bucketOf(mid, zone, unit) === k) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The first minute of the local bucket holding t. A local hour is one stretch of time; a local date may
 * be two, when a change moves clocks back across midnight (Antarctica/Casey, +11 to +08 at 02:00): the
 * date's first minute is then the start of its first stretch, up to 30 hours back.
 */
export function bucketStart(t: number, zone: string, unit: Unit): number {
  const k = bucketOf(t, zone, unit);
  const at = Math.floor(t / MINUTE) * MINUTE;
  const step = 15 * MINUTE;
  let earliest = at;
  for (let back = at - step; back >= at - (unit === 'day' ? 30 * HOUR : HOUR + step); back -= step) {
    if (bucketOf(back, zone, unit) === k) earliest = back;
    else if (unit === 'hour') break;
  }
  return refine(earliest - step, earliest, k, zone, unit);
}

/** The first minute in (lo, hi] that is in bucket k (lo is not). */
function refine(lo: number, hi: number, k: string, zone: string, unit: Unit): number {
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (bucketOf(mid, zone, unit) === k) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface Slot {
  key: string;
  start: number;
}

/**
 * Every local bucket from the one holding `from` up to `to` (exclusive), once each, with its first minute,
 * in time order.
 */
export function bucketsBetween(from: number, to: number, zone: string, unit: Unit): Slot[] {
  const out: Slot[] = [];
  const seen = new Set<string>();
  let start = bucketStart(from, zone, unit);
  // Walk on until the bucket changes, then find the minute it does (no bucket is shorter than the step
  // apart from the one-minute hours of changes at 00:01, which start on a quarter-hour).
  const step = (unit === 'day' ? 60 : 15) * MINUTE;
  while (start < to) {
    const key = bucketOf(start, zone, unit);
    if (!seen.has(key)) out.push({ key, start });
    seen.add(key);
    let p = start;
    while (bucketOf(p + step, zone, unit) === key) p += step;
    start = firstChange(p, p + step, zone, unit);
  }
  return out;
}

export interface Transition {
  /** First minute of the new offset. */
  at: number;
  before: number;
  after: number;
}

/**
 * The zone's offset changes in [from, to]: sampled every 6 days (no offset since 1970 lasted less, see
 * src/stats/zoned.ts; a test that missed one would only test fewer kinds), each found to the minute.
 */
export function transitionsOf(zone: string, from: number, to: number): Transition[] {
  const out: Transition[] = [];
  const step = 6 * 86_400_000;
  let prev = offsetAt(from, zone);
  for (let t = from + step; t <= to; t += step) {
    const o = offsetAt(t, zone);
    if (o === prev) continue;
    let lo = t - step;
    let hi = t;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (offsetAt(mid, zone) === prev) lo = mid;
      else hi = mid;
    }
    out.push({ at: hi, before: prev, after: offsetAt(hi, zone) });
    prev = o;
  }
  return out;
}

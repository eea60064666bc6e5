// Time-axis maths in an IANA time zone. Ticks land on local boundaries (midnight, whole hours, Mondays,
// 1st of the month) of the guild's zone, not of UTC, and survive DST changes. Only Intl is used.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface TimeTick {
  t: number;
  /** First label line (time, or date for daily ticks). */
  label: string;
  /** Second line, set where the context changes (new day under hourly ticks, new year under dates). */
  context?: string;
}

type Unit = 'fixed' | 'week' | 'month';
interface TickStep {
  unit: Unit;
  /** ms for fixed/week steps, months for month steps. */
  size: number;
  /** Approximate ms, to compare with the range and the bucket size. */
  approx: number;
}

const STEPS: TickStep[] = [
  ...[1, 2, 5, 10, 15, 30].map((m) => ({ unit: 'fixed' as const, size: m * MINUTE, approx: m * MINUTE })),
  ...[1, 2, 3, 6, 12].map((h) => ({ unit: 'fixed' as const, size: h * HOUR, approx: h * HOUR })),
  ...[1, 2].map((d) => ({ unit: 'fixed' as const, size: d * DAY, approx: d * DAY })),
  { unit: 'week', size: 7 * DAY, approx: 7 * DAY },
  { unit: 'week', size: 14 * DAY, approx: 14 * DAY },
  ...[1, 2, 3, 6, 12, 24, 60, 120].map((m) => ({ unit: 'month' as const, size: m, approx: m * 30.44 * DAY })),
];

// Intl.DateTimeFormat construction costs far more than formatting; charts reuse a handful of them.
const formatters = new Map<string, Intl.DateTimeFormat>();
function dtf(locale: string, timeZone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(opts)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...opts, timeZone });
    formatters.set(key, f);
  }
  return f;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(t: number, timeZone: string): LocalParts {
  const f = dtf('en-US', timeZone, {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  });
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(t)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out as unknown as LocalParts;
}

/** "Local epoch ms": the wall-clock time in the zone written as if it were UTC. */
function toLocal(t: number, timeZone: string): number {
  const p = localParts(t, timeZone);
  const ms = ((t % 1000) + 1000) % 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + ms;
}

/** Inverse of toLocal; for wall times skipped or repeated by DST it picks one of the candidates. */
function fromLocal(local: number, timeZone: string): number {
  const guess = local - (toLocal(local, timeZone) - local);
  return local - (toLocal(guess, timeZone) - guess);
}

function chooseStep(range: number, bucketMs: number, maxTicks: number): TickStep {
  const fallback = STEPS[STEPS.length - 1] as TickStep;
  for (const s of STEPS) {
    if (s.approx + 1 < bucketMs) continue; // never finer than the data
    if (range / s.approx <= maxTicks) return s;
  }
  return fallback;
}

/** Local-epoch candidates from the first boundary at or before `from` up to `to`. */
function localBoundaries(step: TickStep, from: number, to: number): number[] {
  const out: number[] = [];
  if (step.unit === 'month') {
    const d = new Date(from);
    const monthIndex = d.getUTCFullYear() * 12 + d.getUTCMonth();
    let m = Math.floor(monthIndex / step.size) * step.size;
    for (;;) {
      const l = Date.UTC(Math.floor(m / 12), m % 12, 1);
      if (l > to) break;
      out.push(l);
      m += step.size;
    }
    return out;
  }
  // 1970-01-05 (local epoch day 4) was a Monday: weeks start there.
  const origin = step.unit === 'week' ? 4 * DAY : 0;
  for (let l = Math.floor((from - origin) / step.size) * step.size + origin; l <= to; l += step.size) out.push(l);
  return out;
}

export interface TimeAxisOptions {
  timeZone: string;
  locale: string;
  bucketMs: number;
  /** Upper bound on the number of ticks (from the plot width). */
  maxTicks: number;
}

/** Ticks within [tMin, tMax] with their labels. */
export function timeTicks(tMin: number, tMax: number, o: TimeAxisOptions): TimeTick[] {
  const step = chooseStep(Math.max(tMax - tMin, 1), o.bucketMs, Math.max(2, o.maxTicks));
  const lMin = toLocal(tMin, o.timeZone);
  const lMax = toLocal(tMax, o.timeZone);
  const subDay = step.unit === 'fixed' && step.size < DAY;
  const timeFmt = dtf(o.locale, 'UTC', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const dateFmt = dtf(o.locale, 'UTC', { month: 'short', day: 'numeric' });
  const monthFmt = dtf(o.locale, 'UTC', { month: 'short' });
  const yearFmt = dtf(o.locale, 'UTC', { year: 'numeric' });

  const ticks: TimeTick[] = [];
  let prevContext: string | undefined;
  let prevT = -Infinity;
  // Labels are formatted from local epoch ms in UTC, which is exact and cheaper than a second zone pass.
  for (const l of localBoundaries(step, lMin, lMax)) {
    const t = fromLocal(l, o.timeZone);
    if (t < tMin || t > tMax || t <= prevT) continue;
    prevT = t;
    const local = toLocal(t, o.timeZone); // the real wall time, which differs from l inside a DST gap
    let label: string;
    let context: string;
    if (subDay) {
      label = timeFmt.format(local);
      context = dateFmt.format(local);
    } else if (step.unit === 'month') {
      label = monthFmt.format(local);
      context = yearFmt.format(local);
    } else {
      label = dateFmt.format(local);
      context = yearFmt.format(local);
    }
    const tick: TimeTick = { t, label };
    if (context !== prevContext) tick.context = context;
    prevContext = context;
    ticks.push(tick);
  }
  return ticks;
}

// The period a dashboard request asks for, cut in the server's zone: a preset (24h, 7d, 30d, 90d, 1y)
// ending now, or calendar dates from..to (inclusive) in the zone. The previous period is the same length
// just before. Absurd ranges are refused with a reason (HTTP 400).
import { DISCORD_EPOCH_MS } from '../families.js';
import {
  bucketForSpan,
  isPeriod,
  nextDay,
  parseCalendarDate,
  PERIODS,
  startOfZonedDay,
  type Bucket,
} from '../stats/period.js';
import type { Range } from '../stats/queries.js';

/** No range spans more than two years (and none starts before Discord's epoch). */
export const MAX_SPAN_MS = 2 * 366 * 86_400_000;

export class BadRequest extends Error {}

export interface Period {
  range: Range;
  previous: Range;
  bucket: Bucket;
}

export function parsePeriod(
  q: { period?: string; from?: string; to?: string },
  guildId: string,
  timeZone: string,
  now = Date.now(),
): Period {
  let from: Date;
  let to: Date;
  if (q.from !== undefined || q.to !== undefined) {
    const a = parseCalendarDate(q.from ?? '');
    const b = parseCalendarDate(q.to ?? '');
    if (!a || !b) throw new BadRequest('from and to must both be calendar dates (YYYY-MM-DD)');
    from = startOfZonedDay(a.year, a.month, a.day, timeZone);
    const end = nextDay(b);
    to = new Date(Math.min(startOfZonedDay(end.year, end.month, end.day, timeZone).getTime(), now));
    if (from.getTime() >= to.getTime()) throw new BadRequest('from must be before to, and not in the future');
    if (from.getTime() < DISCORD_EPOCH_MS) throw new BadRequest('from is before Discord existed');
    if (to.getTime() - from.getTime() > MAX_SPAN_MS) throw new BadRequest('a range spans at most two years');
  } else {
    const p = q.period ?? '7d';
    if (!isPeriod(p) || p === '1h') throw new BadRequest(`period must be one of 24h, 7d, 30d, 90d, 1y`);
    to = new Date(now);
    from = new Date(now - PERIODS[p].ms);
  }
  const span = to.getTime() - from.getTime();
  // Hourly points up to a week, daily beyond: at most 7 × 24 (+1) or 731 points per series.
  const bucket: Bucket = bucketForSpan(span) === 'minute' ? 'hour' : bucketForSpan(span);
  return {
    range: { guildId, from, to, timeZone },
    previous: { guildId, from: new Date(from.getTime() - span), to: from, timeZone },
    bucket,
  };
}

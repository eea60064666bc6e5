// Reading a rotated batch hash into raw rows, one HSCAN page at a time (never one HGETALL: it would block
// Redis for a large hash). Both field layouts (src/families.ts, encodeField) are read, in the same batch if
// need be, so batches rotated before the row layout, mixed batches of a rolling deploy and timed sessions'
// counters all load:
// - a row field is a whole row: it is yielded with its page, so the COPY of a page overlaps the read of
//   the next (src/ingest/ingest.ts);
// - counter fields of one row may sit on any page: they are summed into rows that are yielded after the
//   last page.
// A row may therefore appear twice in one batch (once from each layout): raw tables hold deltas summed
// on read, so that is one row's value split in two, not counted twice.
import { minuteOf, rowDecoder, ROW_METRIC, type FamilySpec } from '../families.js';
import type { RawRow } from '../raw-rows.js';
import type { RedisClient } from '../redis.js';

const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;
// Beyond year 9999 toISOString() changes format; a minute that large is a corrupt field anyway.
const MAX_MINUTE = minuteOf(Date.UTC(9999, 11, 31, 23, 59));
// Per HSCAN page; a page of this size costs Redis a few milliseconds.
const HSCAN_COUNT = 10_000;
const METRIC_RE = /^(0|[1-9]\d?)$/;
const INT_RE = /^-?\d{1,10}$/;

export interface BatchPage {
  /** Rows complete with this page, all-zero rows left out. */
  rows: RawRow[];
  /** The batch's last page: the counter-layout rows come with it. */
  last: boolean;
}

export interface BatchRead {
  /** Fields skipped because they could not be decoded or their value is not a valid integer. */
  malformed: number;
  /** Up to 5 of them, `field=value` (truncated), for the log. */
  samples: string[];
}

interface CounterRow extends RawRow {
  /** Bit per metric index already read (HSCAN may repeat a field). */
  seen: number;
}

function int4(raw: string): number | undefined {
  if (!INT_RE.test(raw)) return undefined;
  const v = Number(raw);
  return v < INT4_MIN || v > INT4_MAX ? undefined : v;
}

/**
 * The rows of batch `key`, page by page; `stats` is filled as it goes (complete after the last page). The
 * next HSCAN page is requested before the current one is decoded, so Redis and the network work meanwhile.
 */
export async function* batchPages(
  redis: RedisClient,
  spec: FamilySpec,
  key: string,
  stats: BatchRead,
): AsyncGenerator<BatchPage> {
  const metricCount = spec.metrics.length;
  if (metricCount > 30) throw new Error(`${spec.name}: more than 30 metrics do not fit the seen-bitmask`);
  const decode = rowDecoder(spec);
  const counterRows = new Map<string, CounterRow>();
  // Row fields already read: HSCAN may return a field twice (allowed while a hash is resized).
  const rowFields = new Set<string>();
  const bad = (field: string, raw: string): void => {
    stats.malformed++;
    if (stats.samples.length < 5) stats.samples.push(`${field.slice(0, 120)}=${raw.slice(0, 40)}`);
  };
  let page = redis.hscan(key, '0', 'COUNT', HSCAN_COUNT);
  for (;;) {
    const [cursor, flat] = await page;
    if (cursor !== '0') page = redis.hscan(key, cursor, 'COUNT', HSCAN_COUNT);
    const rows: RawRow[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = flat[i]!;
      const raw = flat[i + 1]!;
      const bar = field.lastIndexOf('|');
      if (bar <= 0) {
        bad(field, raw);
        continue;
      }
      const rowKey = field.slice(0, bar);
      const metricPart = field.slice(bar + 1);
      if (metricPart === ROW_METRIC) {
        if (rowFields.has(rowKey)) continue;
        rowFields.add(rowKey);
        const d = decode(rowKey);
        const parts = raw.split(',');
        if (d === undefined || d.minute < 0 || d.minute > MAX_MINUTE || parts.length !== metricCount) {
          bad(field, raw);
          continue;
        }
        const values = new Array<number>(metricCount);
        let nonZero = false;
        let ok = true;
        for (let m = 0; m < metricCount; m++) {
          const v = int4(parts[m]!);
          if (v === undefined) {
            ok = false;
            break;
          }
          values[m] = v;
          if (v !== 0) nonZero = true;
        }
        if (!ok) bad(field, raw);
        // An all-zero row adds nothing to any sum.
        else if (nonZero) rows.push({ minute: d.minute, dims: d.dims, marks: d.marks, values });
        continue;
      }
      // Counter layout: a row's fields differ only in the trailing metric index. Decode the (minute, dims)
      // part once per row, and only the index for the row's other fields.
      let row = counterRows.get(rowKey);
      const metric = METRIC_RE.test(metricPart) ? Number(metricPart) : -1;
      if (metric < 0 || metric >= metricCount) {
        bad(field, raw);
        continue;
      }
      if (row === undefined) {
        const d = decode(rowKey);
        if (d === undefined || d.minute < 0 || d.minute > MAX_MINUTE) {
          bad(field, raw);
          continue;
        }
        row = { ...d, values: new Array<number>(metricCount).fill(0), seen: 0 };
        counterRows.set(rowKey, row);
      }
      const value = int4(raw);
      if (value === undefined) {
        bad(field, raw);
        continue;
      }
      // Canonical spelling is enforced above, so (row, metric) is exactly one hash field: seeing it
      // again can only be HSCAN returning it twice.
      const bit = 1 << metric;
      if ((row.seen & bit) !== 0) continue;
      row.seen |= bit;
      row.values[metric] = value;
    }
    if (cursor === '0') {
      for (const r of counterRows.values()) {
        if (r.values.some((v) => v !== 0))
          rows.push({ minute: r.minute, dims: r.dims, marks: r.marks, values: r.values });
      }
      yield { rows, last: true };
      return;
    }
    yield { rows, last: false };
  }
}

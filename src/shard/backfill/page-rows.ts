// A page of history counted by the live collectors' own functions (CounterSink), summed into raw-table rows
// instead of Redis increments. Each increment passes through the same field encoding and decoder the
// ingest worker applies to a Redis batch, so what a page loads is what the same messages would have loaded
// live.
import type { CounterSink } from '../../counters.js';
import { FAMILIES, decodeField, encodeField, type FamilyName } from '../../families.js';
import type { RawRow } from '../../raw-rows.js';

export class PageRows implements CounterSink {
  private readonly rows = new Map<FamilyName, Map<string, RawRow>>();
  /** Increments the decoder refused (never expected: the counting functions write valid fields). */
  malformed = 0;

  add(
    family: FamilyName,
    _guildId: string,
    minute: number,
    dims: readonly string[],
    values: readonly number[],
    marks?: readonly string[],
  ): void {
    const spec = FAMILIES[family];
    for (let m = 0; m < values.length; m++) {
      const by = values[m] ?? 0;
      if (by === 0) continue;
      const field = encodeField(spec, minute, dims, m, marks);
      const d = decodeField(spec, field);
      if (!d) {
        this.malformed++;
        continue;
      }
      let byRow = this.rows.get(family);
      if (!byRow) this.rows.set(family, (byRow = new Map()));
      const rowKey = field.slice(0, field.lastIndexOf('|'));
      let row = byRow.get(rowKey);
      if (!row)
        byRow.set(
          rowKey,
          (row = {
            minute: d.minute,
            dims: d.dims,
            marks: d.marks,
            values: new Array<number>(spec.metrics.length).fill(0),
          }),
        );
      row.values[m] = (row.values[m] ?? 0) + by;
    }
  }

  /** Rows per family, in no particular order. */
  byFamily(): [FamilyName, RawRow[]][] {
    return [...this.rows].map(([f, rows]) => [f, [...rows.values()]]);
  }
}

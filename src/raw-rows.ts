// Counter rows as they enter the raw tables: one per (minute, dimensions) with the family's metrics, loaded
// by COPY. Shared by the ingest worker (rows summed from a Redis batch) and the backfill (rows counted from
// a page of message history), so both write exactly the same way.
import type { FamilySpec } from './families.js';

export interface RawRow {
  minute: number;
  dims: string[];
  /** The family's row marks ('0' / '1'), not copied: see botAuthors. */
  marks: string[];
  values: number[];
}

const COPY_CHUNK_ROWS = 512;

/** `COPY table (columns) FROM STDIN` for a family's raw table. */
export function copySql(spec: FamilySpec): string {
  return `COPY ${spec.table} (${['bucket', ...spec.dims, ...spec.metrics].join(', ')}) FROM STDIN`;
}

/**
 * The rows' bot authors (rows with the `bot` mark), recorded in the load transaction: whether an author
 * is a bot is a fact about the account, so one row per guild and bot serves every rollup and period.
 */
export function botAuthors(spec: FamilySpec, rows: RawRow[]): { text: string; values: unknown[] }[] {
  const mark = spec.marks?.indexOf('bot') ?? -1;
  if (mark < 0) return [];
  const user = spec.dims.indexOf('user_id');
  const pairs = new Map<string, [string, string]>();
  for (const r of rows)
    if (r.marks[mark] === '1') pairs.set(`${r.dims[0]}|${r.dims[user]}`, [r.dims[0]!, r.dims[user]!]);
  if (pairs.size === 0) return [];
  const list = [...pairs.values()];
  return [
    {
      text: `INSERT INTO bot_authors (guild_id, user_id) SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING`,
      values: [list.map((p) => p[0]), list.map((p) => p[1])],
    },
  ];
}

/** COPY text format: tab-separated, newline-terminated; decodeField guarantees nothing needs escaping. */
export function* copyChunks(rows: RawRow[]): Generator<string> {
  const iso = new Map<number, string>();
  let chunk = '';
  let n = 0;
  for (const r of rows) {
    let bucket = iso.get(r.minute);
    if (bucket === undefined) {
      bucket = new Date(r.minute * 60_000).toISOString();
      iso.set(r.minute, bucket);
    }
    chunk += `${bucket}\t${r.dims.join('\t')}\t${r.values.join('\t')}\n`;
    if (++n === COPY_CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  if (chunk !== '') yield chunk;
}

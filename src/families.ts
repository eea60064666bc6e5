// What is counted: each family is an additive counter over (minute bucket, dimensions). The same spec
// drives the shard's Redis field encoding, the ingest decoder and the COPY column list, so the three
// cannot drift apart.

export interface FamilySpec {
  readonly name: string;
  /** Raw append-only minute table, loaded by COPY. */
  readonly table: string;
  /** Snowflake (bigint) dimension columns, in field order. */
  readonly dims: readonly string[];
  /** Counter columns; a field carries the metric's index, not its name, to keep Redis small. */
  readonly metrics: readonly string[];
}

export const FAMILIES = {
  messages: {
    name: 'messages',
    table: 'messages_raw',
    dims: ['guild_id', 'channel_id', 'user_id'],
    metrics: ['messages', 'words', 'attachments'],
  },
} as const satisfies Record<string, FamilySpec>;

export type FamilyName = keyof typeof FAMILIES;
export const FAMILY_NAMES = Object.keys(FAMILIES) as FamilyName[];

/** Minute bucket as whole minutes since the epoch. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** Hash field of one counter: `minute|dim1|dim2|...|metricIndex`. Snowflakes stay strings. */
export function encodeField(spec: FamilySpec, minute: number, dims: readonly string[], metric: number): string {
  if (dims.length !== spec.dims.length) {
    throw new Error(`${spec.name}: expected ${spec.dims.length} dimensions, got ${dims.length}`);
  }
  return `${minute}|${dims.join('|')}|${metric}`;
}

export interface DecodedField {
  minute: number;
  dims: string[];
  metric: number;
}

const SNOWFLAKE = /^\d{1,20}$/;

/** Inverse of encodeField; returns undefined for a field that is not this family's (logged by the caller). */
export function decodeField(spec: FamilySpec, field: string): DecodedField | undefined {
  const parts = field.split('|');
  if (parts.length !== spec.dims.length + 2) return undefined;
  const minute = Number(parts[0]);
  const metric = Number(parts[parts.length - 1]);
  const dims = parts.slice(1, -1);
  if (!Number.isSafeInteger(minute) || !Number.isInteger(metric) || metric < 0 || metric >= spec.metrics.length) {
    return undefined;
  }
  if (!dims.every((d) => SNOWFLAKE.test(d))) return undefined;
  return { minute, dims, metric };
}

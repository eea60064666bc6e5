// What is counted: each family is an additive counter over (minute bucket, dimensions). The same spec
// drives the shard's Redis field encoding, the ingest decoder and the COPY column list, so the three
// cannot drift apart.

export interface FamilySpec {
  readonly name: string;
  /** Raw append-only minute table, loaded by COPY. */
  readonly table: string;
  /** Dimension columns, in field order: snowflakes (bigint) unless listed in `text`. */
  readonly dims: readonly string[];
  /** Dimensions stored as text (emoji sequences, command names, activity names). */
  readonly text?: readonly string[];
  /** Counter columns; a field carries the metric's index, not its name, to keep Redis small. */
  readonly metrics: readonly string[];
  /**
   * Facts about a row that travel in the field after the dimensions but are not columns of the raw table:
   * '0' or '1' each. A field written before a mark existed decodes with '0' (rolling upgrades).
   */
  readonly marks?: readonly string[];
}

export const FAMILIES = {
  /**
   * parent_id is the thread's parent channel, '0' outside threads: a thread counts for itself and its parent.
   * The `bot` mark is '1' for a bot's message (counted only while the guild's settings include bots): the
   * ingest worker records the author in bot_authors in the same transaction, so answers can leave bots out
   * whatever the setting is now.
   */
  messages: {
    name: 'messages',
    table: 'messages_raw',
    dims: ['guild_id', 'channel_id', 'parent_id', 'user_id'],
    metrics: ['messages', 'words', 'attachments'],
    marks: ['bot'],
  },
  /**
   * Details of the same messages, written by the message collector with each message: characters (Unicode
   * code points of the content), replies (Discord's reply type), stickers and embeds as MESSAGE_CREATE
   * lists them. A table of its own beside messages_raw (why: sql/032_message_details.sql); bots' rows are
   * left out through the bot_authors the messages family records.
   */
  message_details: {
    name: 'message_details',
    table: 'message_details_raw',
    dims: ['guild_id', 'channel_id', 'parent_id', 'user_id'],
    metrics: ['characters', 'replies', 'stickers', 'embeds'],
  },
  /** Seconds in a voice channel; the state metrics overlap `seconds` (a muted streamer counts in all three). */
  voice: {
    name: 'voice',
    table: 'voice_raw',
    dims: ['guild_id', 'channel_id', 'user_id'],
    metrics: ['seconds', 'muted_seconds', 'deafened_seconds', 'streaming_seconds', 'video_seconds'],
  },
  /** emoji: a custom emoji's id, or the unicode sequence itself; source: 'message' or 'reaction'. */
  emojis: {
    name: 'emojis',
    table: 'emojis_raw',
    dims: ['guild_id', 'user_id', 'emoji', 'source'],
    text: ['emoji', 'source'],
    metrics: ['uses'],
  },
  /**
   * The same emoji uses by channel (parent_id: a thread's parent, '0' outside threads), for leaderboards per
   * channel and category; a family of its own beside `emojis` (why: sql/033_channel_emojis.sql).
   */
  channel_emojis: {
    name: 'channel_emojis',
    table: 'channel_emojis_raw',
    dims: ['guild_id', 'channel_id', 'parent_id', 'user_id', 'emoji', 'source'],
    text: ['emoji', 'source'],
    metrics: ['uses'],
  },
  /** Application command uses: ours from INTERACTION_CREATE, other apps' from messages' interaction metadata. */
  apps: {
    name: 'apps',
    table: 'app_commands_raw',
    dims: ['guild_id', 'channel_id', 'user_id', 'application_id', 'command'],
    text: ['command'],
    metrics: ['uses'],
  },
  /** Presence activities (games, apps): activity is the application id when Discord gives one, else its name. */
  activities: {
    name: 'activities',
    table: 'activities_raw',
    dims: ['guild_id', 'user_id', 'activity'],
    text: ['activity'],
    metrics: ['seconds'],
  },
  /**
   * Mentions from the ids Discord lists in a message, never its text: kind 'member' (target_id the user;
   * a reply counts only when Discord lists its author), 'role' (target_id the role) or 'everyone'
   * (@everyone/@here, target_id '0'). A message mentioning someone twice counts once, as Discord lists them.
   */
  mentions: {
    name: 'mentions',
    table: 'mentions_raw',
    dims: ['guild_id', 'user_id', 'target_id', 'kind'],
    text: ['kind'],
    metrics: ['mentions'],
  },
} as const satisfies Record<string, FamilySpec>;

export type FamilyName = keyof typeof FAMILIES;
export const FAMILY_NAMES = Object.keys(FAMILIES) as FamilyName[];

/**
 * The rollups of a family's raw table (sql/015), per member then guild-wide, each in refresh order:
 * quarter-hours and hours on raw, then days on hours; then the narrow daily ones on the per-member daily
 * rollup (sql/065).
 */
export function rollupsOf(spec: FamilySpec): string[] {
  return [
    ...[false, true].flatMap((guildWide) =>
      (['15m', 'hourly', 'daily'] as const).map((grain) => rollupOf(spec, grain, guildWide)),
    ),
    ...narrowRollupsOf(spec).map((n) => n.name),
  ];
}

/** One rollup of a family's raw table: per member, or with `guildWide` the guild-wide sums. */
export function rollupOf(spec: FamilySpec, grain: '15m' | 'hourly' | 'daily', guildWide = false): string {
  return `${spec.table.replace(/_raw$/, '')}${guildWide ? '_guild' : ''}_${grain}`;
}

/** What a narrow rollup keeps of a family's dimensions: its channel(s), or its member. */
export type NarrowBy = 'channel' | 'member';

/**
 * Families with narrow daily rollups beside the per-member one (sql/065): per channel per day (no member)
 * and per member per day (no channel), for answers over long ranges that need only one of the two.
 */
const NARROW_FAMILIES: readonly string[] = ['messages', 'voice'];

export interface NarrowRollup {
  name: string;
  by: NarrowBy;
  /** Its dimensions after guild_id: the family's channel dimensions, or user_id. */
  dims: string[];
  /**
   * Besides the sums, `cells`: how many rows of the per-member daily rollup it sums (for a channel, its
   * members that day; for a member, their channels), so rows of known bots can be subtracted exactly.
   */
  metrics: readonly string[];
}

/** The narrow daily rollups of a family (none for most), named `<prefix>_by_channel_daily` / `_by_member_daily`. */
export function narrowRollupsOf(spec: FamilySpec): NarrowRollup[] {
  if (!NARROW_FAMILIES.includes(spec.name)) return [];
  const prefix = spec.table.replace(/_raw$/, '');
  const rest = spec.dims.filter((d) => d !== 'guild_id');
  return (['channel', 'member'] as const).map((by) => ({
    name: `${prefix}_by_${by}_daily`,
    by,
    dims: by === 'member' ? ['user_id'] : rest.filter((d) => d !== 'user_id'),
    metrics: spec.metrics,
  }));
}

/** Minute bucket as whole minutes since the epoch. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000);
}

/**
 * Two layouts of a live hash's fields, read alike by the ingest worker (src/ingest/batch-rows.ts):
 * - a counter per field, `minute|dim1|dim2|...|mark1|...|metricIndex` = integer (HINCRBY): timed sessions
 *   (src/shard/sessions), and every counter written before the row layout;
 * - a row per field, `minute|dims...|marks...|*` = `v0,v1,...` (one integer per metric; CounterWriter's
 *   Lua script adds vectors): a third of the fields for a three-metric family, and a field is a whole row.
 * Snowflakes stay strings.
 */
export function encodeField(
  spec: FamilySpec,
  minute: number,
  dims: readonly string[],
  metric: number,
  marks: readonly string[] = [],
): string {
  return `${rowPart(spec, minute, dims, marks)}|${metric}`;
}

/** The metric slot of a row field: all metrics at once. */
export const ROW_METRIC = '*';

/** Hash field of one counter row (all metrics in its value, see encodeField). */
export function encodeRowField(
  spec: FamilySpec,
  minute: number,
  dims: readonly string[],
  marks: readonly string[] = [],
): string {
  return `${rowPart(spec, minute, dims, marks)}|${ROW_METRIC}`;
}

// On the event path (CounterWriter.add): plain concatenation, no intermediate arrays.
function rowPart(spec: FamilySpec, minute: number, dims: readonly string[], marks: readonly string[]): string {
  if (dims.length !== spec.dims.length) {
    throw new Error(`${spec.name}: expected ${spec.dims.length} dimensions, got ${dims.length}`);
  }
  const expected = spec.marks?.length ?? 0;
  if (marks.length !== expected && marks.length !== 0)
    throw new Error(`${spec.name}: expected ${expected} marks, got ${marks.length}`);
  let s = String(minute);
  for (const d of dims) s += '|' + d;
  for (let m = 0; m < expected; m++) s += marks.length === 0 ? '|0' : '|' + marks[m];
  return s;
}

export interface DecodedField {
  minute: number;
  dims: string[];
  /** One '0' or '1' per spec mark. */
  marks: string[];
  metric: number;
}

const SNOWFLAKE = /^\d{1,19}$/;
const INT8_MAX = '9223372036854775807';
/**
 * Text dimensions travel inside '|'-separated fields and COPY text rows: no separators, no escapes, no
 * control characters (PostgreSQL cannot store U+0000 in text), and well-formed UTF-16.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const TEXT_DIM = /^[^|\\\u0000-\u001f\u007f]{1,100}$/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
// eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
const CONTROL_OR_SEPARATOR = /[|\\\u0000-\u001f\u007f]/g;

/** Discord's epoch (2015-01-01 UTC), where snowflake time starts: nothing on Discord is older. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

/** A snowflake that fits PostgreSQL bigint (0 allowed: "none", e.g. no parent channel). */
export function isSnowflake(s: unknown): s is string {
  return typeof s === 'string' && SNOWFLAKE.test(s) && (s.length < 19 || s <= INT8_MAX);
}

/**
 * Makes free text (an activity or command name) safe as a text dimension, before it reaches Redis:
 * separators and control characters (U+0000 included) become spaces, a lone surrogate becomes U+FFFD,
 * at most 100 code points. Undefined if nothing is left.
 */
export function textDim(raw: string): string | undefined {
  const clean = raw.replace(LONE_SURROGATES, '\uFFFD').replace(CONTROL_OR_SEPARATOR, ' ').trim();
  if (clean === '') return undefined;
  return [...clean].slice(0, 100).join('').trim();
}

/** A value textDim would leave unchanged (what the ingest decoder accepts for a text dimension). */
export function isTextDim(value: string): boolean {
  return TEXT_DIM.test(value) && !LONE_SURROGATE.test(value);
}

const MARK = /^[01]$/;

export interface DecodedRow {
  minute: number;
  dims: string[];
  /** One '0' or '1' per spec mark. */
  marks: string[];
}

/**
 * The decoder of a family's row part (a field without its trailing `|metric`): validators per dimension
 * are chosen once per family, not per field (the ingest worker decodes every row of every batch).
 */
export function rowDecoder(spec: FamilySpec): (row: string) => DecodedRow | undefined {
  const text = new Set<string>(spec.text ?? []);
  const valid = spec.dims.map((d) => (text.has(d) ? isTextDim : isSnowflake));
  const dimCount = spec.dims.length;
  const markCount = spec.marks?.length ?? 0;
  return (row) => {
    const parts = row.split('|');
    // Fields written before the family had marks carry none: they decode as '0'.
    const withMarks = parts.length === dimCount + markCount + 1;
    if (!withMarks && parts.length !== dimCount + 1) return undefined;
    const minute = Number(parts[0]);
    if (!Number.isSafeInteger(minute)) return undefined;
    const dims = parts.slice(1, 1 + dimCount);
    for (let i = 0; i < dimCount; i++) if (!valid[i]!(dims[i]!)) return undefined;
    let marks: string[];
    if (withMarks) {
      marks = parts.slice(1 + dimCount);
      for (const m of marks) if (!MARK.test(m)) return undefined;
    } else marks = new Array<string>(markCount).fill('0');
    return { minute, dims, marks };
  };
}

const decoders = new Map<FamilySpec, (row: string) => DecodedRow | undefined>();

/** Inverse of encodeField; returns undefined for a field that is not this family's (logged by the caller). */
export function decodeField(spec: FamilySpec, field: string): DecodedField | undefined {
  const bar = field.lastIndexOf('|');
  if (bar < 0) return undefined;
  const metricPart = field.slice(bar + 1);
  const metric = metricPart === '' ? NaN : Number(metricPart);
  if (!Number.isInteger(metric) || metric < 0 || metric >= spec.metrics.length) return undefined;
  let decode = decoders.get(spec);
  if (!decode) decoders.set(spec, (decode = rowDecoder(spec)));
  const row = decode(field.slice(0, bar));
  return row && { ...row, metric };
}

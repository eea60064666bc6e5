// Options the statistics commands share: the window (a lookback period or a `from`/`to` calendar range in
// the guild's time zone), the metric charted, and filters. Builders add them to a (sub)command; parsers
// read them back and turn every bad value into a CommandError that says what to type instead.
import {
  ChannelType,
  type ChatInputCommandInteraction,
  type SlashCommandSubcommandBuilder,
  type SlashCommandBuilder,
  type SlashCommandStringOption,
} from 'discord.js';
import type { FamilyName } from '../../families.js';
import type { ValueFormat } from '../../render/spec.js';
import {
  PERIOD_CHOICES,
  PERIODS,
  bucketForSpan,
  isPeriodChoice,
  nextDay,
  parseCalendarDate,
  startOfZonedDay,
  type Bucket,
} from '../../stats/period.js';
import { isSnowflake } from '../../families.js';
import { CommandError, quoted } from './context.js';

export interface MetricSpec {
  family: FamilyName;
  column: string;
  label: string;
  format: ValueFormat;
}

export const METRICS = {
  messages: { family: 'messages', column: 'messages', label: 'Messages', format: 'number' },
  words: { family: 'messages', column: 'words', label: 'Words', format: 'number' },
  characters: { family: 'message_details', column: 'characters', label: 'Characters', format: 'number' },
  replies: { family: 'message_details', column: 'replies', label: 'Replies', format: 'number' },
  stickers: { family: 'message_details', column: 'stickers', label: 'Stickers', format: 'number' },
  embeds: { family: 'message_details', column: 'embeds', label: 'Embeds', format: 'number' },
  voice: { family: 'voice', column: 'seconds', label: 'Voice time', format: 'duration' },
  emojis: { family: 'emojis', column: 'uses', label: 'Emojis', format: 'number' },
  commands: { family: 'apps', column: 'uses', label: 'Commands', format: 'number' },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;
const METRIC_NAMES = Object.keys(METRICS) as MetricName[];
const METRIC_CHOICE_NAMES: Record<MetricName, string> = {
  messages: 'messages',
  words: 'words',
  characters: 'characters',
  replies: 'replies',
  stickers: 'stickers',
  embeds: 'embeds',
  voice: 'voice time',
  emojis: 'emojis',
  commands: 'commands',
};

/** Channels that can hold messages or voice: what /stats channel and the server filter accept. */
export const STATS_CHANNEL_TYPES = [
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.GuildVoice,
  ChannelType.GuildStageVoice,
  ChannelType.GuildForum,
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
] as const;

type OptionHost = SlashCommandSubcommandBuilder | SlashCommandBuilder;

/** period, from, to, metric: on every statistics command. */
export function addWindowAndMetricOptions<T extends OptionHost>(b: T): T {
  b.addStringOption((o) =>
    o
      .setName('period')
      .setDescription('How far back to look (default 24h)')
      .addChoices(...PERIOD_CHOICES.map((p) => ({ name: p, value: p }))),
  );
  b.addStringOption(fromDateOption);
  b.addStringOption(toDateOption);
  b.addStringOption((o) =>
    o
      .setName('metric')
      .setDescription('What to chart (default messages)')
      .addChoices(...METRIC_NAMES.map((m) => ({ name: METRIC_CHOICE_NAMES[m], value: m }))),
  );
  return b;
}

/** `from` and `to`: a calendar range in the server's zone instead of a period (dateRangeOption reads them). */
export const fromDateOption = (o: SlashCommandStringOption) =>
  o
    .setName('from')
    .setDescription('First day, YYYY-MM-DD (server time zone); instead of period')
    .setMinLength(10)
    .setMaxLength(10);
export const toDateOption = (o: SlashCommandStringOption) =>
  o.setName('to').setDescription('Last day, YYYY-MM-DD (default today)').setMinLength(10).setMaxLength(10);

export function addIncludeBotsOption<T extends OptionHost>(b: T): T {
  b.addBooleanOption((o) =>
    o
      .setName('include_bots')
      .setDescription("Count bots' messages (recorded while the server's settings include bots; default: the setting)"),
  );
  return b;
}

export function parseMetric(i: ChatInputCommandInteraction, fallback: MetricName = 'messages'): MetricName {
  const raw = i.options.getString('metric');
  if (raw === null) return fallback;
  if (!Object.hasOwn(METRICS, raw))
    throw new CommandError(`Unknown metric ${quoted(raw)}. Choose one of: ${METRIC_NAMES.join(', ')}.`);
  return raw as MetricName;
}

/** A snowflake option's raw value (user, channel), read without relying on resolved data. */
export function snowflakeOption(i: ChatInputCommandInteraction, name: string): string | undefined {
  const v = i.options.get(name)?.value;
  if (v === undefined || v === null) return undefined;
  const id = String(v);
  if (!isSnowflake(id) || id === '0') throw new CommandError(`${quoted(id)} is not a valid ${name}.`);
  return id;
}

export interface StatsWindow {
  from: Date;
  to: Date;
  bucket: Bucket;
  /** "last 24h", "all time", "2026-03-01 to 2026-03-07". */
  label: string;
}

/** Longest calendar range accepted: ten years of daily points is as much as a chart can show. */
const MAX_RANGE_DAYS = 3660;

/**
 * The window the options ask for, in the guild's zone. `firstRecorded` is called only for `all`; `now`
 * is injectable for tests. The end includes the current, still open minute.
 */
export async function parseWindow(
  i: ChatInputCommandInteraction,
  timeZone: string,
  firstRecorded: () => Promise<Date | null>,
  now = Date.now(),
): Promise<StatsWindow> {
  const period = i.options.getString('period');
  const end = now + 60_000;
  const dates = dateRangeOption(i, timeZone, now);
  if (dates) return dates;
  const p = period ?? '24h';
  if (!isPeriodChoice(p))
    throw new CommandError(`Unknown period ${quoted(p)}. Choose one of: ${PERIOD_CHOICES.join(', ')}.`);
  if (p === 'all') {
    const first = await firstRecorded();
    if (!first)
      throw new CommandError(
        'Nothing recorded here yet: statistics start when members are active after the bot joined.',
      );
    const from = Math.min(first.getTime(), end - 60_000);
    return { from: new Date(from), to: new Date(end), bucket: bucketForSpan(end - from), label: 'all time' };
  }
  const { ms, bucket } = PERIODS[p];
  return { from: new Date(end - ms), to: new Date(end), bucket, label: `last ${p}` };
}

/** The `from`/`to` options as a window (undefined when neither is given); refuses them beside `period`. */
export function dateRangeOption(
  i: ChatInputCommandInteraction,
  timeZone: string,
  now = Date.now(),
): StatsWindow | undefined {
  const fromRaw = i.options.getString('from');
  const toRaw = i.options.getString('to');
  if (fromRaw === null && toRaw === null) return undefined;
  if (i.options.getString('period') !== null) throw new CommandError('Use either `period` or `from`/`to`, not both.');
  if (fromRaw === null) throw new CommandError('`to` needs a `from` date too (YYYY-MM-DD).');
  return dateRange(fromRaw, toRaw, timeZone, now + 60_000);
}

function dateRange(fromRaw: string, toRaw: string | null, timeZone: string, end: number): StatsWindow {
  const from = parseCalendarDate(fromRaw);
  if (!from) throw new CommandError(`\`from\` must be a date like 2026-03-01 (YYYY-MM-DD), got ${quoted(fromRaw)}.`);
  const to = toRaw === null ? undefined : parseCalendarDate(toRaw);
  if (toRaw !== null && !to)
    throw new CommandError(`\`to\` must be a date like 2026-03-31 (YYYY-MM-DD), got ${quoted(toRaw)}.`);
  const start = startOfZonedDay(from.year, from.month, from.day, timeZone).getTime();
  if (to && start > startOfZonedDay(to.year, to.month, to.day, timeZone).getTime()) {
    throw new CommandError(`\`from\` (${fromRaw}) is after \`to\` (${toRaw}): the range must run forwards.`);
  }
  if (start >= end) throw new CommandError(`\`from\` (${fromRaw}) is in the future (time zone ${timeZone}).`);
  const next = to ? nextDay(to) : undefined;
  const stop = next ? Math.min(startOfZonedDay(next.year, next.month, next.day, timeZone).getTime(), end) : end;
  if (stop - start > MAX_RANGE_DAYS * 86_400_000)
    throw new CommandError(`That range is longer than ${MAX_RANGE_DAYS} days; pick a shorter one.`);
  const fromLabel = fromRaw.trim();
  const label =
    toRaw === null ? `since ${fromLabel}` : toRaw.trim() === fromLabel ? fromLabel : `${fromLabel} to ${toRaw.trim()}`;
  // A calendar range is whole days, so it is never drawn per minute.
  const span = stop - start;
  return { from: new Date(start), to: new Date(stop), bucket: span <= PERIODS['7d'].ms ? 'hour' : 'day', label };
}

const OPTION_TYPE_NAMES: Record<number, string> = {
  1: 'a subcommand',
  2: 'a subcommand group',
  3: 'text',
  4: 'a whole number',
  5: 'true or false',
  6: 'a member',
  7: 'a channel',
  8: 'a role',
  9: 'a member or role',
  10: 'a number',
  11: 'a file',
};

/** The JavaScript type an option's value has on the wire, by option type. */
function valueFits(type: number, value: unknown): boolean {
  if (type === 3) return typeof value === 'string';
  if (type === 4) return Number.isSafeInteger(value);
  if (type === 10) return typeof value === 'number' && Number.isFinite(value);
  if (type === 5) return typeof value === 'boolean';
  return isSnowflake(value); // users, channels, roles, mentionables, attachments: ids
}

interface OptionDefinition {
  name: string;
  type: number;
  options?: readonly OptionDefinition[];
}

interface ProvidedOption {
  name: string;
  type: number;
  value?: unknown;
  options?: readonly ProvidedOption[];
}

/**
 * What is wrong with the options an interaction carries, measured against the command's registered
 * definition (unknown option, wrong type, a value that does not fit its type), for a clear reply instead
 * of a failure deep in a handler. Undefined when they fit.
 */
export function optionProblem(
  definitions: readonly OptionDefinition[] | undefined,
  provided: readonly ProvidedOption[],
): string | undefined {
  for (const o of provided) {
    const def = definitions?.find((d) => d.name === o.name);
    if (!def) return `This command has no option ${quoted(o.name)}.`;
    if (def.type !== o.type)
      return `The option \`${def.name}\` must be ${OPTION_TYPE_NAMES[def.type] ?? 'something else'}.`;
    if (o.type === 1 || o.type === 2) {
      const inner = optionProblem(def.options, o.options ?? []);
      if (inner) return inner;
    } else if (!valueFits(o.type, o.value)) {
      return `The option \`${def.name}\` must be ${OPTION_TYPE_NAMES[def.type] ?? 'something else'}.`;
    }
  }
  return undefined;
}

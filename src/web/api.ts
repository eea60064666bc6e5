// The dashboard's JSON API over src/stats, one route per page, each answering from the rollups with a
// bounded number of points (hourly up to a week, daily beyond; leaderboards at most 100 rows), and the same
// data as CSV. Access (session, guild, permission) is settled before these handlers run (server.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/pool.js';
import type { GuildSettings } from '../settings.js';
import { familySeries, heatmap, memberSummary, topBy, type Filter, type Ranked } from '../stats/families.js';
import { messageActivity } from '../stats/activity.js';
import { emojiNames } from '../stats/emoji-names.js';
import { inviteStats, memberGrowth } from '../stats/members.js';
import type { SeriesPoint } from '../stats/queries.js';
import { CATEGORY_TYPE, guildChannels, guildRole, memberDisplayNames } from '../stats/structure.js';
import { BadRequest, parsePeriod, type Period } from './range.js';

export interface GuildContext {
  guildId: string;
  settings: Readonly<GuildSettings>;
  /** Whether the user may see every page of the server (else only their own member page). */
  server: boolean;
  userId: string;
}

export interface PageQuery {
  period?: string;
  from?: string;
  to?: string;
  channel?: string;
  bots?: '0' | '1';
  category?: string;
  role?: string;
}

type Cell = string | number | null;
interface Page<T> {
  json: (db: Queryable, p: Period, f: Filter, ctx: GuildContext, req: FastifyRequest) => Promise<T>;
  /** Rows (header first) of the page's CSV export. */
  csv: (data: T) => Cell[][];
}

const TOP = 100;

/**
 * The filters of a request: channel, category, role (members who hold it now, as /stats means it) and bots
 * (default: the server's setting). A role or category is checked against this server's recorded structure
 * (src/stats/structure.ts), as the commands check theirs: another server's id is refused, never read.
 */
export async function filterOf(
  db: Queryable,
  q: PageQuery,
  ctx: Pick<GuildContext, 'guildId' | 'settings'>,
): Promise<Filter> {
  const f: Filter = { withoutBots: q.bots === undefined ? !ctx.settings.includeBots : q.bots === '0' };
  if (q.channel !== undefined) f.channelId = q.channel;
  if (q.category !== undefined) {
    const c = (await guildChannels(db, ctx.guildId, [q.category])).get(q.category);
    if (!c) throw new BadRequest("category is not one of this server's channels");
    if (c.type !== CATEGORY_TYPE) throw new BadRequest('category is a channel, not a category: use the channel filter');
    f.categoryId = q.category;
  }
  if (q.role !== undefined) {
    const role = await guildRole(db, ctx.guildId, q.role);
    if (!role) throw new BadRequest("role is not one of this server's roles");
    if (role.deleted) throw new BadRequest('that role was deleted: nobody holds it any more');
    f.roleId = q.role;
  }
  return f;
}

const sum = (s: SeriesPoint[]) => s.reduce((a, p) => a + p.v, 0);
const series = (s: SeriesPoint[]) => s.map((p) => [p.t, p.v] as const);
const ranked = (r: Ranked[]) => r.map((x) => ({ id: x.key, value: x.value }));
const seriesCsv = (name: string, s: readonly (readonly [number, number])[]): Cell[][] => [
  ['time', name],
  ...s.map(([t, v]) => [new Date(t).toISOString(), v]),
];
const rankedCsv = (key: string, value: string, r: { id: string; value: number }[]): Cell[][] => [
  [key, value],
  ...r.map((x) => [x.id, x.value]),
];

/** Totals of a period: each the sum of the series drawn for it (invariant 7: totals equal their series). */
async function totals(db: Queryable, p: Period, range: Period['range'], f: Filter) {
  const [messages, voice, growth, active] = await Promise.all([
    familySeries(db, 'messages', 'messages', range, p.bucket, f),
    familySeries(db, 'voice', 'seconds', range, p.bucket, f),
    memberGrowth(db, range, p.bucket),
    messageActivity(db, range, p.bucket, f),
  ]);
  return {
    series: { messages, voice, growth },
    totals: {
      messages: sum(messages),
      voiceSeconds: sum(voice),
      joins: growth.reduce((a, g) => a + g.joins, 0),
      leaves: growth.reduce((a, g) => a + g.leaves, 0),
      activeMembers: active.members,
    },
  };
}

const overview: Page<Awaited<ReturnType<typeof overviewJson>>> = {
  json: (db, p, f) => overviewJson(db, p, f),
  csv: (d) => [
    ['time', 'messages', 'voice_seconds', 'joins', 'leaves'],
    ...d.series.messages.map(([t, v], i) => [
      new Date(t).toISOString(),
      v,
      d.series.voice[i]?.[1] ?? 0,
      d.series.growth[i]?.joins ?? 0,
      d.series.growth[i]?.leaves ?? 0,
    ]),
  ],
};

async function overviewJson(db: Queryable, p: Period, f: Filter) {
  const [now, before] = await Promise.all([totals(db, p, p.range, f), totals(db, p, p.previous, f)]);
  return {
    bucket: p.bucket,
    totals: now.totals,
    previous: before.totals,
    series: {
      messages: series(now.series.messages),
      voice: series(now.series.voice),
      growth: now.series.growth.map((g) => ({ t: g.t, joins: g.joins, leaves: g.leaves })),
    },
  };
}

type Named = { id: string; value: number; name: string | null };
type TwoLists = { messages: Named[]; voice: Named[] };

/** Ranked rows with their names: members' display names, or channels' names ("(deleted)" when gone). */
async function named(
  db: Queryable,
  guildId: string,
  kind: 'member' | 'channel',
  lists: Ranked[][],
): Promise<Named[][]> {
  const ids = [...new Set(lists.flat().map((r) => r.key))];
  const names =
    kind === 'member'
      ? await memberDisplayNames(db, guildId, ids)
      : new Map(
          [...(await guildChannels(db, guildId, ids))].map(([id, c]) => [
            id,
            c.deleted ? `${c.name} (deleted)` : c.name,
          ]),
        );
  return lists.map((l) => l.map((x) => ({ id: x.key, value: x.value, name: names.get(x.key) ?? null })));
}

/** A leaderboard page by messages and by voice: channels or members, with their names. */
function rankedPage(kind: 'channel' | 'member'): Page<TwoLists> {
  const dim = kind === 'channel' ? 'channel_id' : 'user_id';
  return {
    async json(db, p, f, ctx) {
      const [messages, voice] = await named(
        db,
        ctx.guildId,
        kind,
        await Promise.all([
          topBy(db, 'messages', 'messages', dim, p.range, { limit: TOP, filter: f }),
          topBy(db, 'voice', 'seconds', dim, p.range, { limit: TOP, filter: f }),
        ]),
      );
      return { messages: messages!, voice: voice! };
    },
    csv: (d) => [[dim, 'name', 'messages', 'voice_seconds'], ...mergeRanked(d.messages, d.voice)],
  };
}

const channels = rankedPage('channel');
const members = rankedPage('member');

function mergeRanked(a: Named[], b: Named[]): Cell[][] {
  const rows = new Map<string, { name: string | null; a: number; b: number }>();
  for (const x of a) rows.set(x.id, { name: x.name, a: x.value, b: 0 });
  for (const x of b) rows.set(x.id, { name: x.name, a: rows.get(x.id)?.a ?? 0, b: x.value });
  return [...rows].map(([id, r]) => [id, r.name, r.a, r.b]);
}

const member: Page<Awaited<ReturnType<typeof memberJson>>> = {
  json: (db, p, f, ctx, req) => memberJson(db, p, f, ctx.guildId, (req.params as { userId: string }).userId),
  csv: (d) => [
    ['time', 'messages', 'voice_seconds'],
    ...d.series.messages.map(([t, v], i) => [new Date(t).toISOString(), v, d.series.voice[i]?.[1] ?? 0]),
  ],
};

async function memberJson(db: Queryable, p: Period, f: Filter, guildId: string, userId: string) {
  const mf: Filter = { ...f, userId, withoutBots: false };
  const [names, summary, messages, voice] = await Promise.all([
    memberDisplayNames(db, guildId, [userId]),
    memberSummary(db, p.range, userId),
    familySeries(db, 'messages', 'messages', p.range, p.bucket, mf),
    familySeries(db, 'voice', 'seconds', p.range, p.bucket, mf),
  ]);
  return {
    userId,
    name: names.get(userId) ?? null,
    bucket: p.bucket,
    summary,
    series: { messages: series(messages), voice: series(voice) },
  };
}

const emojis: Page<{ emojis: { id: string; value: number; name: string | null }[] }> = {
  async json(db, p, f) {
    const top = await topBy(db, 'emojis', 'uses', 'emoji', p.range, {
      limit: TOP,
      filter: { ...f, channelId: undefined },
    });
    const names = await emojiNames(
      db,
      top.map((e) => e.key).filter((k) => /^\d+$/.test(k)),
    );
    return {
      emojis: top.map((e) => ({
        id: e.key,
        value: e.value,
        name: names.get(e.key)?.name ?? (/^\d+$/.test(e.key) ? null : e.key),
      })),
    };
  },
  csv: (d) => [['emoji', 'name', 'uses'], ...d.emojis.map((e) => [e.id, e.name, e.value])],
};

const voice: Page<Awaited<ReturnType<typeof voiceJson>>> = {
  json: (db, p, f, ctx) => voiceJson(db, p, f, ctx.guildId),
  csv: (d) => seriesCsv('voice_seconds', d.series),
};

async function voiceJson(db: Queryable, p: Period, f: Filter, guildId: string) {
  const [s, byChannel, byMember] = await Promise.all([
    familySeries(db, 'voice', 'seconds', p.range, p.bucket, f),
    topBy(db, 'voice', 'seconds', 'channel_id', p.range, { limit: TOP, filter: f }),
    topBy(db, 'voice', 'seconds', 'user_id', p.range, { limit: TOP, filter: f }),
  ]);
  const [[channels], [members]] = await Promise.all([
    named(db, guildId, 'channel', [byChannel]),
    named(db, guildId, 'member', [byMember]),
  ]);
  return { bucket: p.bucket, total: sum(s), series: series(s), channels: channels!, members: members! };
}

const heat: Page<{ messages: number[][]; voice: number[][] }> = {
  async json(db, p, f) {
    const [messages, v] = await Promise.all([
      heatmap(db, 'messages', 'messages', p.range, f),
      heatmap(db, 'voice', 'seconds', p.range, f),
    ]);
    return { messages, voice: v };
  },
  csv: (d) => [
    ['weekday', ...Array.from({ length: 24 }, (_, h) => `h${h}`)],
    ...d.messages.map((row, i) => [['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][i]!, ...row]),
  ],
};

const invites: Page<Awaited<ReturnType<typeof invitesJson>>> = {
  json: (db, p) => invitesJson(db, p),
  csv: (d) => [
    ['inviter_id', 'joins', 'regular', 'left', 'fake'],
    ...d.inviters.map((i) => [i.inviterId, i.joins, i.regular, i.left, i.fake]),
    ['vanity', d.vanity.joins, d.vanity.regular, d.vanity.left, d.vanity.fake],
    ['unknown', d.unknown.joins, d.unknown.regular, d.unknown.left, d.unknown.fake],
  ],
};

async function invitesJson(db: Queryable, p: Period) {
  const [stats, growth] = await Promise.all([inviteStats(db, p.range), memberGrowth(db, p.range, p.bucket)]);
  return { bucket: p.bucket, ...stats, inviters: stats.inviters.slice(0, TOP), growth };
}

const apps: Page<{ applications: { id: string; value: number }[]; commands: { id: string; value: number }[] }> = {
  async json(db, p, f) {
    const [byApp, byCommand] = await Promise.all([
      topBy(db, 'apps', 'uses', 'application_id', p.range, { limit: TOP, filter: f }),
      topBy(db, 'apps', 'uses', 'command', p.range, { limit: TOP, filter: f }),
    ]);
    return { applications: ranked(byApp), commands: ranked(byCommand) };
  },
  csv: (d) => rankedCsv('application_id', 'uses', d.applications),
};

/** Pages by name; `member` is the only one a member without the server permission may open (their own). */
export const PAGES = { overview, channels, members, member, emojis, voice, heatmap: heat, invites, apps } as const;
export type PageName = keyof typeof PAGES;

/** A cell safe to open in a spreadsheet: quoted, and never read as a formula. */
export function csvCell(c: Cell): string {
  if (c === null) return '';
  if (typeof c === 'number') return String(c);
  const s = /^[=+\-@\t\r]/.test(c) ? `'${c}` : c;
  return /[",\n\r']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: Cell[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export const SNOWFLAKE = '^[0-9]{17,20}$';
export const pageQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    period: { type: 'string', maxLength: 8 },
    from: { type: 'string', maxLength: 10 },
    to: { type: 'string', maxLength: 10 },
    channel: { type: 'string', pattern: SNOWFLAKE },
    bots: { enum: ['0', '1'] },
    category: { type: 'string', pattern: SNOWFLAKE },
    role: { type: 'string', pattern: SNOWFLAKE },
  },
} as const;

/** Runs a page for a request whose guild context is settled. */
export async function runPage(
  db: Queryable,
  name: PageName,
  q: PageQuery,
  ctx: GuildContext,
  req: FastifyRequest,
): Promise<{ data: unknown; csv: () => string }> {
  const page = PAGES[name] as Page<unknown>;
  const p = parsePeriod(q, ctx.guildId, ctx.settings.timeZone);
  const data = await page.json(db, p, await filterOf(db, q, ctx), ctx, req);
  return {
    data: {
      guildId: ctx.guildId,
      timeZone: ctx.settings.timeZone,
      from: p.range.from.getTime(),
      to: p.range.to.getTime(),
      ...(data as object),
    },
    csv: () => toCsv(page.csv(data)),
  };
}

export type { FastifyInstance };

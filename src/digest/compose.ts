// A digest of one period: totals and their change against the previous period, the most active members
// and channels, new regulars (among this period's most active, members with no message in the previous
// period) and channels gone quiet (active in the previous period, silent in this one), with a chart of
// messages per day of both periods. Everything is read through src/stats in the server's zone; the same
// composition serves the scheduled post and /digest preview.
import { EmbedBuilder } from 'discord.js';
import type { Queryable } from '../db/pool.js';
import { formatDuration, formatNumber } from '../format.js';
import { countOf, EMBED_COLOR } from '../commands/framework/report.js';
import type { RenderPool } from '../render/pool.js';
import { messageActivity } from '../stats/activity.js';
import { familySeries, familyTotal, topBy, type Filter } from '../stats/families.js';
import { memberGrowth } from '../stats/members.js';
import { BUCKET_MS } from '../stats/period.js';
import type { Every, Period } from './period.js';

/** Among this many of the period's most active members are new regulars looked for. */
const REGULAR_CANDIDATES = 25;
/** Messages in the period that make a member a regular. */
const REGULAR_MIN_MESSAGES = 5;
/** Messages in the previous period that make a channel's silence worth reporting. */
const QUIET_MIN_MESSAGES = 10;

export interface Totals {
  messages: number;
  voiceSeconds: number;
  joins: number;
  activeMembers: number;
}

export interface Digest {
  period: Period;
  previous: Period;
  totals: Totals;
  before: Totals;
  topMembers: { key: string; value: number }[];
  topChannels: { key: string; value: number }[];
  newRegulars: string[];
  quietChannels: string[];
  series: { t: number; v: number }[];
  previousSeries: { t: number; v: number }[];
}

async function totals(db: Queryable, guildId: string, p: Period, timeZone: string, f: Filter): Promise<Totals> {
  const r = { guildId, from: p.from, to: p.to, timeZone };
  const [messages, voiceSeconds, growth, activity] = await Promise.all([
    familyTotal(db, 'messages', 'messages', r, f),
    familyTotal(db, 'voice', 'seconds', r, f),
    memberGrowth(db, r, 'day'),
    messageActivity(db, r, 'day', f),
  ]);
  return { messages, voiceSeconds, joins: growth.reduce((a, g) => a + g.joins, 0), activeMembers: activity.members };
}

export async function composeDigest(
  db: Queryable,
  o: { guildId: string; period: Period; previous: Period; timeZone: string; includeBots: boolean },
): Promise<Digest> {
  const f: Filter = { withoutBots: !o.includeBots };
  const r = { guildId: o.guildId, from: o.period.from, to: o.period.to, timeZone: o.timeZone };
  const rp = { guildId: o.guildId, from: o.previous.from, to: o.previous.to, timeZone: o.timeZone };
  const [now, before, members, channels, prevChannels, series, previousSeries] = await Promise.all([
    totals(db, o.guildId, o.period, o.timeZone, f),
    totals(db, o.guildId, o.previous, o.timeZone, f),
    topBy(db, 'messages', 'messages', 'user_id', r, { limit: REGULAR_CANDIDATES, filter: f }),
    topBy(db, 'messages', 'messages', 'channel_id', r, { limit: 5, filter: f }),
    topBy(db, 'messages', 'messages', 'channel_id', rp, { limit: 25, filter: f }),
    familySeries(db, 'messages', 'messages', r, 'day', f),
    familySeries(db, 'messages', 'messages', rp, 'day', f),
  ]);
  // Without any message in the previous period (the bot is new, or the server was silent) everyone would
  // be "new": there is nothing to compare with, so no one is listed.
  const candidates = before.messages === 0 ? [] : members.filter((m) => m.value >= REGULAR_MIN_MESSAGES);
  const earlier = await Promise.all(
    candidates.map((m) => familyTotal(db, 'messages', 'messages', rp, { ...f, userId: m.key })),
  );
  const newRegulars = candidates.filter((_, k) => earlier[k] === 0).map((m) => m.key);
  const wasBusy = prevChannels.filter((c) => c.value >= QUIET_MIN_MESSAGES);
  const since = await Promise.all(
    wasBusy.map((c) => familyTotal(db, 'messages', 'messages', r, { ...f, channelId: c.key })),
  );
  const quietChannels = wasBusy.filter((_, k) => since[k] === 0).map((c) => c.key);
  return {
    period: o.period,
    previous: o.previous,
    totals: now,
    before,
    topMembers: members.slice(0, 5),
    topChannels: channels,
    newRegulars,
    quietChannels,
    series: series.map((p) => ({ t: p.t, v: p.v })),
    previousSeries: previousSeries.map((p) => ({ t: p.t, v: p.v })),
  };
}

const DIGEST_FILE = 'digest.png';

/** "+12% vs previous", "no change", "new" (nothing before). */
export function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? 'no change' : 'new';
  const pct = Math.round(((now - before) / before) * 100);
  return pct === 0 ? 'no change' : `${pct > 0 ? '+' : ''}${pct}% vs previous`;
}

const dateLabel = (d: Date, timeZone: string) =>
  d.toLocaleDateString('en-GB', { timeZone, day: 'numeric', month: 'short', year: 'numeric' });

/** The message for a digest: an embed with the chart attached (rendered on the worker pool). */
export async function digestMessage(
  d: Digest,
  o: { every: Every; timeZone: string; render: RenderPool; title?: string },
): Promise<{ embed: EmbedBuilder; png: Buffer; fileName: string }> {
  const last = new Date(d.period.to.getTime() - 1);
  const span = `${dateLabel(d.period.from, o.timeZone)} – ${dateLabel(last, o.timeZone)}`;
  // The previous period drawn over this one, day by day (its days shifted onto this period's).
  const offset = d.period.from.getTime() - d.previous.from.getTime();
  const png = await o.render.render({
    kind: 'line',
    title: `Messages per day`,
    subtitle: `${span} (${o.timeZone})`,
    timeZone: o.timeZone,
    bucketMs: BUCKET_MS.day,
    series: [
      { name: `This ${o.every}`, points: d.series },
      {
        name: `Previous ${o.every}`,
        points: d.previousSeries.map((p) => ({ t: p.t + offset, v: p.v })).filter((p) => p.t < d.period.to.getTime()),
      },
    ],
  });
  const t = d.totals;
  const b = d.before;
  const list = (rows: string[]) => (rows.length ? rows.join('\n').slice(0, 1024) : 'None');
  const embed = new EmbedBuilder()
    .setColor(EMBED_COLOR)
    .setTitle(o.title ?? `${o.every === 'week' ? 'Weekly' : 'Monthly'} digest: ${span}`)
    .addFields(
      { name: 'Messages', value: `${formatNumber(t.messages)} (${change(t.messages, b.messages)})`, inline: true },
      {
        name: 'Voice',
        value: `${formatDuration(t.voiceSeconds)} (${change(t.voiceSeconds, b.voiceSeconds)})`,
        inline: true,
      },
      {
        name: 'Active members',
        value: `${formatNumber(t.activeMembers)} (${change(t.activeMembers, b.activeMembers)})`,
        inline: true,
      },
      { name: 'Joins', value: `${formatNumber(t.joins)} (${change(t.joins, b.joins)})`, inline: true },
      {
        name: 'Top members',
        value: list(d.topMembers.map((m, k) => `\`${k + 1}.\` <@${m.key}> — ${countOf(m.value, 'message')}`)),
      },
      {
        name: 'Top channels',
        value: list(d.topChannels.map((c, k) => `\`${k + 1}.\` <#${c.key}> — ${countOf(c.value, 'message')}`)),
      },
      {
        name: 'New regulars',
        value:
          b.messages === 0
            ? 'No earlier period to compare with'
            : list(d.newRegulars.slice(0, 10).map((u) => `<@${u}>`)),
        inline: true,
      },
      { name: 'Gone quiet', value: list(d.quietChannels.map((c) => `<#${c}>`)), inline: true },
    )
    .setImage(`attachment://${DIGEST_FILE}`)
    .setFooter({
      text: `Times in ${o.timeZone} · compared with ${dateLabel(d.previous.from, o.timeZone)} – ${dateLabel(new Date(d.previous.to.getTime() - 1), o.timeZone)}`,
    });
  return { embed, png, fileName: DIGEST_FILE };
}

// Message details end to end: the simulator's traffic (stickers, embeds, replies with message_reference,
// pinging or not) and a few crafted messages (characters outside the BMP, history in the previous period)
// through the gateway, Redis and the ingest worker, equal to the truth the simulator kept of what it sent
// (its own character count, never the bot's); then /stats server, /stats channel, /me and /export.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { truthCharacters, type DetailTotals, type RecordedReply, type TruthMessage } from 'discord-sim';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let g: string;
const ADMIN = String(1n << 3n);
const NONE: DetailTotals = { characters: 0, replies: 0, stickers: 0, embeds: 0 };

async function diff(): Promise<string[]> {
  const { rows } = await t.pool.query<{ k: string; c: string; r: string; s: string; e: string }>(
    `SELECT guild_id || '|' || channel_id || '|' || user_id AS k, sum(characters) AS c, sum(replies) AS r, sum(stickers) AS s, sum(embeds) AS e
     FROM message_details_raw GROUP BY 1`,
  );
  const db = new Map(
    rows.map((r) => [
      r.k,
      { characters: Number(r.c), replies: Number(r.r), stickers: Number(r.s), embeds: Number(r.e) },
    ]),
  );
  const truth = t.sim.truth.detailTotalsBy('all');
  const out: string[] = [];
  for (const [k, want] of truth) {
    const got = db.get(k) ?? NONE;
    if (JSON.stringify(got) !== JSON.stringify(want))
      out.push(`${k}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
  }
  for (const k of db.keys()) if (!truth.has(k)) out.push(`${k}: not in the truth`);
  // The messages family too: averages divide the details by it, so both must be loaded before an answer.
  const messages = await messageTotalsByChannelMember(t.pool, [...t.sim.world.guilds.keys()]);
  for (const [k, v] of t.sim.truth.messageTotals())
    if (messages.get(k)?.messages !== v.messages)
      out.push(`messages ${k}: ${messages.get(k)?.messages ?? 0} ≠ ${v.messages}`);
  return out;
}

const fields = (r: RecordedReply): Record<string, string> =>
  Object.fromEntries(
    ((r.embeds[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? []).map((f) => [
      f.name,
      f.value,
    ]),
  );

/** Members' messages (bots and webhooks are not counted by default) matching `pick`, after `since`. */
function totals(pick: (m: TruthMessage) => boolean, since: number, until = Infinity) {
  const ms = t.sim.truth.messages.filter(
    (m) => !m.bot && !m.webhook && m.timestamp >= since && m.timestamp < until && pick(m),
  );
  const sum = (f: (m: TruthMessage) => number) => ms.reduce((a, m) => a + f(m), 0);
  return {
    messages: ms.length,
    characters: sum((m) => m.characters),
    replies: sum((m) => (m.reply ? 1 : 0)),
    stickers: sum((m) => m.stickers),
    embeds: sum((m) => m.embeds),
  };
}

/** "12.5", "12": the embed's average, one decimal. */
const avg = (total: number, n: number) => {
  const v = Math.round((total / n) * 10) / 10;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
};

const change = (now: number, before: number) => {
  if (before === 0) return now === 0 ? 'none either' : 'new';
  const pct = Math.round(((now - before) / before) * 100);
  return `${pct > 0 ? '+' : pct < 0 ? '−' : '±'}${Math.abs(pct)} %`;
};

let started: number;

beforeAll(async () => {
  t = await startTestBot({ name: 'message-details', sim: { guilds: 2, seed: 17 } });
  g = [...t.sim.world.guilds.keys()][0]!;
  started = Date.now();
  const summary = await t.sim.sendTraffic({ messages: 1_500, seed: 17 });
  expect(summary.sent).toBe(1_500);
  const [a, b] = t.sim.world.humanMembers(g);
  const channelId = t.sim.world.textChannels(g)[0]!.id;
  // Characters outside the BMP (an emoji is one character, two UTF-16 units), a sticker-only message, and a
  // reply that does not ping.
  const first = t.sim.sendMessage({ guildId: g, channelId, authorId: a!.user.id, content: 'héllo 👋🏽 𝔘𝔫𝔦𝔠𝔬𝔡𝔢' });
  t.sim.sendMessage({ guildId: g, channelId, authorId: b!.user.id, content: '', stickers: 3 });
  t.sim.sendMessage({
    guildId: g,
    channelId,
    authorId: b!.user.id,
    content: 'quiet reply',
    replyTo: { messageId: first.id, authorId: a!.user.id, ping: false },
    embeds: 1,
  });
  // The previous period of /stats (the 24 hours before the last 24): stickers and replies to compare against.
  for (let k = 0; k < 6; k++) {
    t.sim.sendMessage({
      guildId: g,
      channelId,
      authorId: a!.user.id,
      content: `earlier ${k}`,
      stickers: 1,
      timestamp: started - 36 * 3_600_000 + k * 60_000,
      replyTo: k % 2 ? { messageId: first.id, authorId: a!.user.id, ping: true } : undefined,
    });
  }
  await t.ingestUntil(diff, 60_000);
}, 120_000);

afterAll(() => t?.stop(), 60_000);

describe('message details', () => {
  it('counts characters, replies, stickers and embeds exactly once, as the simulator sent them', async () => {
    expect(truthCharacters('héllo 👋🏽 𝔘𝔫𝔦𝔠𝔬𝔡𝔢')).toBe(16);
    const all = totals(() => true, 0);
    expect(all.replies).toBeGreaterThan(50);
    expect(all.stickers).toBeGreaterThan(20);
    expect(all.embeds).toBeGreaterThan(5);
    expect(await diff()).toEqual([]);
    // The rollups equal the raw rows (both engines' rollups are checked in timescale.test.ts).
    const { rows } = await t.pool.query<{ raw: string; daily: string; guild: string }>(
      `SELECT (SELECT sum(stickers) FROM message_details_raw)::text AS raw, (SELECT sum(stickers) FROM message_details_daily)::text AS daily,
              (SELECT sum(stickers) FROM message_details_guild_hourly)::text AS guild`,
    );
    expect(rows[0]).toEqual({ raw: String(all.stickers), daily: String(all.stickers), guild: String(all.stickers) });
  });

  it('/stats server shows average length, replies, stickers and embeds with the change vs the previous period', async () => {
    const asker = t.sim.world.humanMembers(g)[0]!.user.id;
    const reply = await t.sim.invokeCommand({
      guildId: g,
      channelId: t.sim.world.textChannels(g)[0]!.id,
      userId: asker,
      name: 'stats',
      subcommand: 'server',
      options: [{ name: 'period', type: 3, value: '24h' }],
      permissions: ADMIN,
      timeoutMs: 30_000,
    });
    const f = fields(reply);
    const now = totals((m) => m.guildId === g, started - 60_000);
    const before = totals((m) => m.guildId === g, started - 47 * 3_600_000, started - 25 * 3_600_000);
    expect(before.stickers).toBe(6);
    expect(f['Replies']).toBe(String(now.replies));
    expect(f['Stickers']).toBe(String(now.stickers));
    expect(f['Embeds']).toBe(String(now.embeds));
    expect(f['Average length']).toBe(`${avg(now.characters, now.messages)} characters`);
    const changes = f['Change vs the previous 24h']!;
    expect(changes).toContain(`Stickers: ${change(now.stickers, before.stickers)}`);
    expect(changes).toContain(`Replies: ${change(now.replies, before.replies)}`);
    expect(changes).toContain(`Embeds: ${change(now.embeds, before.embeds)}`);
    expect(changes).toContain(
      `Average length: ${change(now.characters / now.messages, before.characters / before.messages)}`,
    );
  }, 30_000);

  it('/stats channel counts its threads too, and charts a detail metric', async () => {
    const channel =
      t.sim.world.textChannels(g).find((c) => t.sim.truth.messages.some((m) => m.parentChannelId === c.id)) ??
      t.sim.world.textChannels(g)[0]!;
    // Another asker than /stats server's: commands have a per-member cooldown.
    const asker = t.sim.world.humanMembers(g)[2]!.user.id;
    const reply = await t.sim.invokeCommand({
      guildId: g,
      channelId: channel.id,
      userId: asker,
      name: 'stats',
      subcommand: 'channel',
      options: [
        { name: 'channel', type: 7, value: channel.id },
        { name: 'metric', type: 3, value: 'replies' },
      ],
      permissions: ADMIN,
      timeoutMs: 30_000,
    });
    const want = totals(
      (m) => m.guildId === g && (m.channelId === channel.id || m.parentChannelId === channel.id),
      started - 60_000,
    );
    expect(want.replies).toBeGreaterThan(0);
    expect(reply.content).toBe('');
    expect(fields(reply)['Replies']).toBe(String(want.replies));
    expect(fields(reply)['Stickers']).toBe(String(want.stickers));
    expect(reply.files).toHaveLength(1);
  }, 30_000);

  it('/me shows the member their own details', async () => {
    const busiest = [...t.sim.truth.detailTotalsBy('user')]
      .filter(([id]) => t.sim.world.guild(g)!.members.get(id) && !t.sim.world.guild(g)!.members.get(id)!.user.bot)
      .sort((x, y) => y[1].replies - x[1].replies)[0]![0];
    const reply = await t.sim.invokeCommand({
      guildId: g,
      channelId: t.sim.world.textChannels(g)[0]!.id,
      userId: busiest,
      name: 'me',
      options: [{ name: 'period', type: 3, value: '7d' }],
      timeoutMs: 30_000,
    });
    const want = totals((m) => m.guildId === g && m.authorId === busiest, started - 8 * 86_400_000);
    const f = fields(reply);
    expect(f['Replies']).toBe(String(want.replies));
    expect(f['Stickers']).toBe(String(want.stickers));
    expect(f['Embeds']).toBe(String(want.embeds));
    expect(f['Average length']).toBe(`${avg(want.characters, want.messages)} characters`);
  }, 30_000);

  it('/export message_details sums to the truth', async () => {
    const admin = t.sim.world.humanMembers(g)[1]!.user.id;
    const reply = await t.sim.invokeCommand({
      guildId: g,
      channelId: t.sim.world.textChannels(g)[0]!.id,
      userId: admin,
      name: 'export',
      permissions: String(1n << 5n),
      options: [
        { name: 'table', type: 3, value: 'message_details' },
        { name: 'period', type: 3, value: '7d' },
      ],
      timeoutMs: 30_000,
    });
    const [header, ...lines] = reply.files[0]!.data.toString('utf8').trimEnd().split('\n');
    expect(header).toBe('bucket,guild_id,channel_id,parent_id,user_id,characters,replies,stickers,embeds');
    const col = (name: string) => lines.reduce((a, l) => a + Number(l.split(',')[header!.split(',').indexOf(name)]), 0);
    const want = totals((m) => m.guildId === g, 0);
    expect({
      characters: col('characters'),
      replies: col('replies'),
      stickers: col('stickers'),
      embeds: col('embeds'),
    }).toEqual({ characters: want.characters, replies: want.replies, stickers: want.stickers, embeds: want.embeds });
  }, 30_000);
});

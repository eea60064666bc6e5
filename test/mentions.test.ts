// Mentions end to end: the simulator's mention traffic (members, roles, @everyone/@here, replies with and
// without the ping) through the gateway, Redis and the ingest worker, equal to the truth the driver kept
// of whom it chose to mention; then /top mentions and who-mentions-whom in /stats member and /me.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMentionTraffic, type MentionTrafficSummary, type RecordedReply } from 'discord-sim';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let summary: MentionTrafficSummary;
const ADMIN = String(1n << 3n);

async function diff(): Promise<string[]> {
  const { rows } = await t.pool.query<{ k: string; n: string }>(
    `SELECT guild_id || '|' || user_id || '|' || target_id || '|' || kind AS k, sum(mentions) AS n FROM mentions_raw GROUP BY 1`,
  );
  const db = new Map(rows.map((r) => [r.k, Number(r.n)]));
  const out: string[] = [];
  for (const [k, n] of t.sim.truth.mentions) if (db.get(k) !== n) out.push(`${k}: ${db.get(k) ?? 0} ≠ ${n}`);
  for (const k of db.keys()) if (!t.sim.truth.mentions.has(k)) out.push(`${k}: not in the truth`);
  return out;
}

const fields = (r: RecordedReply): Record<string, string> =>
  Object.fromEntries(
    ((r.embeds[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? []).map((f) => [
      f.name,
      f.value,
    ]),
  );

/** `[id, n]` of the truth's member mentions matching `pick`, ranked like the bot (count desc, id asc). */
function ranked(
  guildId: string,
  keyOf: (user: string, target: string) => string | undefined,
  limit: number,
): [string, number][] {
  const sums = new Map<string, number>();
  for (const [k, n] of t.sim.truth.mentions) {
    const [g, user, target, kind] = k.split('|');
    if (g !== guildId || kind !== 'member') continue;
    const key = keyOf(user!, target!);
    if (key !== undefined) sums.set(key, (sums.get(key) ?? 0) + n);
  }
  // Ties by id as text, the order every leaderboard uses.
  return [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
}

beforeAll(async () => {
  t = await startTestBot({ name: 'mentions', sim: { guilds: 2, seed: 31 } });
  summary = await sendMentionTraffic(t.sim, { messages: 600, seed: 31 });
  await t.ingestUntil(diff);
}, 90_000);

afterAll(() => t?.stop(), 60_000);

describe('mentions', () => {
  it('counts members, roles and @everyone separately, and replies only when they ping', async () => {
    expect(summary.memberMentions).toBeGreaterThan(100);
    expect(summary.roleMentions).toBeGreaterThan(0);
    expect(summary.everyoneMentions).toBeGreaterThan(0);
    expect(summary.silentReplies).toBeGreaterThan(0);
    expect(summary.pingingReplies).toBeGreaterThan(0);
    expect(await diff()).toEqual([]);
  });

  it('/top mentions ranks the most mentioned members and totals role and @everyone mentions', async () => {
    const guildId = [...t.sim.world.guilds.keys()][0]!;
    const user = t.sim.world.humanMembers(guildId)[0]!.user.id;
    const reply = await t.sim.invokeCommand({
      guildId,
      channelId: t.sim.world.textChannels(guildId)[0]!.id,
      userId: user,
      name: 'top',
      subcommand: 'mentions',
      options: [{ name: 'period', type: 3, value: '24h' }],
      timeoutMs: 30_000,
    });
    const board = fields(reply)['Most mentioned members']!;
    const got = [...board.matchAll(/<@(\d+)> — (\d+)/g)].map(([, , n]) => Number(n));
    expect(got).toEqual(ranked(guildId, (_u, target) => target, 10).map(([, n]) => n));
    const kinds = (kind: string) =>
      [...t.sim.truth.mentions]
        .filter(([k]) => k.startsWith(`${guildId}|`) && k.endsWith(`|${kind}`))
        .reduce((a, [, n]) => a + n, 0);
    const footer = JSON.stringify(reply.embeds[0]);
    expect(footer).toContain(`Role mentions: ${kinds('role')}`);
    expect(footer).toContain(`@everyone and @here: ${kinds('everyone')}`);
  }, 30_000);

  it('/stats member and /me: who mentions the member most, and whom they mention most', async () => {
    const guildId = [...t.sim.world.guilds.keys()][0]!;
    const busiest = ranked(guildId, (_u, target) => target, 50).find(
      ([id]) => t.sim.world.guild(guildId)!.members.get(id) && !t.sim.world.guild(guildId)!.members.get(id)!.user.bot,
    )![0];
    const asker = t.sim.world.humanMembers(guildId).find((m) => m.user.id !== busiest)!.user.id;
    const list = (rows: [string, number][]) =>
      rows.length ? rows.map(([id, n]) => `<@${id}> — ${n}`).join('\n') : 'Nobody';
    const by = list(ranked(guildId, (u, target) => (target === busiest && u !== busiest ? u : undefined), 3));
    const of = list(ranked(guildId, (u, target) => (u === busiest && target !== busiest ? target : undefined), 3));
    const other = await t.sim.invokeCommand({
      guildId,
      channelId: t.sim.world.textChannels(guildId)[0]!.id,
      userId: asker,
      name: 'stats',
      subcommand: 'member',
      options: [{ name: 'member', type: 6, value: busiest }],
      permissions: ADMIN,
      timeoutMs: 30_000,
    });
    expect(fields(other)['Mentioned most by']).toBe(by);
    expect(fields(other)['Mentions most']).toBe(of);
    const me = await t.sim.invokeCommand({
      guildId,
      channelId: t.sim.world.textChannels(guildId)[0]!.id,
      userId: busiest,
      name: 'me',
      options: [],
      timeoutMs: 30_000,
    });
    expect(fields(me)['Mentioned most by']).toBe(by);
  }, 30_000);
});

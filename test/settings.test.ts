// Guild settings reach a running shard over pub/sub: a guild that turns "include bots" on has its bots'
// messages counted from then on, other guilds do not; webhooks never count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../src/db/pool.js';
import type { Ingestor } from '../src/ingest/ingest.js';
import type { Logger } from '../src/logger.js';
import type { Redis } from '../src/redis.js';
import { GuildSettingsStore } from '../src/settings.js';
import type { Bot } from '../src/shard/bot.js';
import type { Simulator } from 'discord-sim';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let sim: Simulator;
let bot: Bot;
let redis: Redis;
let pool: Pool;
let ingestor: Ingestor;
let prefix: string;
let logger: Logger;

beforeAll(async () => {
  t = await startTestBot({ name: 'settings', sim: { guilds: 4 }, families: ['messages'] });
  ({ sim, bot, redis, pool, ingestor, prefix, logger } = t);
});

afterAll(() => t?.stop());

describe('guild settings', () => {
  it('counts bots only in guilds that include them, from the moment the setting changes', async () => {
    const [a, b] = [...sim.world.guilds.keys()] as [string, string];
    const send = async (phase: number) => {
      await sim.sendTraffic({ messages: 1_500, guildIds: [a, b], seed: phase });
      // Some certain bot messages in both guilds, whatever the random mix gave.
      for (const g of [a, b]) {
        const botMember = sim.world.botMembers(g).find((m) => m.user.id !== sim.world.botUser.id)!;
        sim.sendMessage({
          guildId: g,
          channelId: sim.world.textChannels(g)[0]!.id,
          authorId: botMember.user.id,
          content: `beep boop ${phase}`,
        });
      }
    };
    let received = 0;
    bot.client.on('messageCreate', () => received++);
    await send(1);
    const split = sim.truth.messages.length;
    // The setting applies from the moment the shard hears it: let it finish the first phase first.
    await expect.poll(() => received, { timeout: 20_000 }).toBe(split);

    // Another process (an admin's /settings) changes guild A; the running shard hears it over pub/sub.
    const admin = new GuildSettingsStore(pool, redis, prefix, logger);
    await admin.update(a, { includeBots: true });
    await expect.poll(() => bot.settings.get(a).includeBots, { timeout: 10_000 }).toBe(true);
    expect(bot.settings.get(a).includeBots).toBe(true);
    expect(bot.settings.get(b).includeBots).toBe(false);
    await send(2);

    const expected = new Map<string, number>();
    sim.truth.messages.forEach((m, i) => {
      const counted = !m.webhook && (!m.bot || (i >= split && m.guildId === a));
      if (!counted) return;
      const k = `${m.guildId}|${m.channelId}|${m.authorId}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    });
    await expect
      .poll(
        async () => {
          await bot.counters.settled();
          await ingestor.runOnce();
          return new Map([...(await messageTotalsByChannelMember(pool, [a, b]))].map(([k, t]) => [k, t.messages]));
        },
        { timeout: 30_000, interval: 100 },
      )
      .toEqual(expected);
    const botMessagesCounted = sim.truth.messages.filter(
      (m, i) => i >= split && m.guildId === a && m.bot && !m.webhook,
    ).length;
    expect(botMessagesCounted).toBeGreaterThan(0);
  }, 60_000);
});

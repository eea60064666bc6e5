// Application command uses counted exactly: our own commands from INTERACTION_CREATE (chat input with
// subcommands and groups, user and message context menus) and other apps' uses seen as their response
// messages, through the simulator, an in-process discord.js bot, Redis and the ingest worker's COPY into
// Postgres, compared with the simulator's ground truth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../src/db/pool.js';
import type { Ingestor } from '../src/ingest/ingest.js';
import { applicationIdOf, sendAppTraffic, UNKNOWN_COMMAND, type InvokeCommand, type Simulator } from 'discord-sim';
import { diffApps, sleep } from '../dev/stack.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let sim: Simulator;
let pool: Pool;
let ingestor: Ingestor;

beforeAll(async () => {
  t = await startTestBot({ name: 'apps', sim: { seed: 5 }, families: ['apps', 'messages'] });
  ({ sim, pool, ingestor } = t);
}, 60_000);

afterAll(() => t?.stop(), 60_000);

async function ingestUntilEqual(timeoutMs = 20_000): Promise<void> {
  const diff = async () => {
    await ingestor.runOnce();
    return diffApps(pool, sim);
  };
  await expect.poll(diff, { timeout: timeoutMs, interval: 200 }).toEqual([]);
}

describe('application command uses', () => {
  it("counts our commands and other apps' per application, command, user and channel exactly", async () => {
    const summary = await sendAppTraffic(sim, { messages: 800, seed: 21 });
    expect(summary.followups).toBeGreaterThan(0);
    expect(summary.components).toBeGreaterThan(0);

    // Our own commands, in text channels and threads: chat input, subcommand group, both context menus.
    const guildIds = [...sim.world.guilds.keys()];
    const invocations: InvokeCommand[] = [];
    for (const [i, guildId] of guildIds.entries()) {
      const channels = [...sim.world.textChannels(guildId), ...sim.world.threads(guildId)];
      const humans = sim.world.humanMembers(guildId);
      const at = (n: number) => ({
        guildId,
        channelId: channels[n % channels.length]!.id,
        userId: humans[n % humans.length]!.user.id,
      });
      invocations.push(
        { ...at(i), name: 'stats', subcommand: 'server', options: [{ name: 'period', type: 3, value: 'forever' }] },
        { ...at(i + 1), name: 'stats', subcommand: 'server', options: [{ name: 'period', type: 3, value: 'forever' }] },
        { ...at(i + 2), name: 'stats', subcommandGroup: 'admin', subcommand: 'reset' },
        { ...at(i + 3), name: 'Member stats', commandType: 2, targetId: humans[0]!.user.id },
        { ...at(i + 4), name: 'Message stats', commandType: 3 },
      );
    }
    // Chat-input commands get an answer; nothing answers context menus here, so those replies time out.
    await Promise.all(
      invocations.map((c) =>
        sim.invokeCommand({ ...c, timeoutMs: c.commandType ? 300 : 15_000 }).catch(() => undefined),
      ),
    );

    await ingestUntilEqual();
    await sleep(300); // wall-clock on purpose: time for a late write to show, where there must be none
    await ingestor.runOnce();
    expect(await diffApps(pool, sim)).toEqual([]);

    // What the exact equality covered.
    const uses = [...sim.truth.appUses].map(([k, n]) => ({ k: k.split('|'), n }));
    const ours = sim.world.application.id;
    const ourCommands = new Set(uses.filter((u) => u.k[3] === ours).map((u) => u.k[4]));
    expect(ourCommands).toEqual(new Set(['stats server', 'stats admin reset', 'Member stats', 'Message stats']));
    expect(uses.filter((u) => u.k[3] === ours).reduce((a, u) => a + u.n, 0)).toBe(invocations.length);
    const theirs = uses.filter((u) => u.k[3] !== ours);
    // Follow-ups and component responses are not new uses.
    expect(theirs.reduce((a, u) => a + u.n, 0)).toBe(summary.counted);
    expect(theirs.some((u) => u.k[4] === UNKNOWN_COMMAND)).toBe(true);
    expect(theirs.some((u) => u.k[4] === 'config logging set')).toBe(true);
    // Apps whose application id differs from their bot user's id are keyed by the application.
    const bots = guildIds.flatMap((g) => sim.world.botMembers(g).map((m) => m.user));
    expect(bots.some((b) => applicationIdOf(b) !== b.id && theirs.some((u) => u.k[3] === applicationIdOf(b)))).toBe(
      true,
    );
    // The invoking user is counted, never the app's bot.
    const botIds = new Set(bots.map((b) => b.id));
    expect(theirs.every((u) => !botIds.has(u.k[2]!))).toBe(true);

    // Those responses come from bots: the messages family does not count them.
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM messages_raw WHERE user_id = ANY($1::bigint[])',
      [[...botIds]],
    );
    expect(Number(rows[0]!.n)).toBe(0);
  }, 60_000);
});

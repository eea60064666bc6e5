// The scheduler as it runs in production: two `src/scheduler/main.ts` processes against one database and
// the simulator. Both become ready, a configured counter is renamed exactly once between them (the
// simulator's ground truth), their /metrics count that one run, and SIGTERM stops each with exit code 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { startSimulator, type Simulator } from 'discord-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../dev/embedded.js';
import { putCounter } from '../src/channel-counters/store.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { entryPoint } from '../src/entry.js';
import { testDatabase, testRedis } from './helpers/services.js';

let db: Awaited<ReturnType<typeof testDatabase>>;
let pool: Pool;
let sim: Simulator;
const children: { child: ChildProcess; port: number; exit: Promise<number | null> }[] = [];

beforeAll(async () => {
  db = await testDatabase();
  pool = createPool(db.url);
  sim = await startSimulator({ guilds: 1 });
});
afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await pool?.end();
  await sim?.close();
  await db?.drop();
});

async function metricSum(port: number, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
}

describe('scheduler processes', () => {
  it('two processes run a due counter once between them, serve probes and metrics, and stop cleanly', async () => {
    const g = [...sim.world.guilds.keys()][0]!;
    const G = sim.world.guild(g)!;
    const me = G.members.get(sim.world.botUser.id)!;
    for (const r of G.roles)
      if (me.roles.includes(r.id))
        r.permissions = (BigInt(r.permissions) | PermissionFlagsBits.ManageChannels).toString();
    const vc = sim.world.voiceChannels(g)[0]!.id;
    expect(await putCounter(pool, g, vc, '👥 Members: {members}', null)).toBe('added');

    const redis = testRedis();
    const entry = entryPoint('../src/scheduler/main.ts', import.meta.url);
    for (let k = 0; k < 2; k++) {
      const port = await freePort();
      const child = spawn(process.execPath, [...entry.execArgv, entry.file], {
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: redis.prefix,
          DISCORD_TOKEN: sim.token,
          DISCORD_API_URL: sim.apiUrl,
          METRICS_PORT: String(port),
          SCHEDULER_TICK_MS: '100',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      children.push({ child, port, exit });
    }
    for (const c of children) {
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${c.port}/readyz`).catch(() => null))?.status ?? 0, {
          timeout: 60_000,
          interval: 250,
        })
        .toBe(200);
    }
    await expect
      .poll(() => sim.truth.channelRenames.filter((r) => r.channelId === vc).length, { timeout: 30_000 })
      .toBe(1);
    // Both keep ticking every 100 ms; the next run is 5 minutes away, so nothing more happens.
    // wall-clock on purpose: a window of fifteen ticks in which no second run may happen.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sim.truth.channelRenames.filter((r) => r.channelId === vc).map((r) => r.name)).toEqual([
      `👥 Members: ${G.members.size}`,
    ]);
    const runs = await Promise.all(
      children.map((c) => metricSum(c.port, 'stats_scheduler_runs_total', 'job="counters",outcome="ok"')),
    );
    expect(runs.reduce((a, b) => a + b, 0)).toBe(1);
    for (const c of children) c.child.kill('SIGTERM');
    expect(await Promise.all(children.map((c) => c.exit))).toEqual([0, 0]);
  });
});

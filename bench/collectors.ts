// Collector overhead: gateway events per second that one discord.js client process sustains with every
// collector attached, against the same client with an empty handler, in the same run; plus Redis
// commands per event. The simulator runs in a child process so it does not share the client's thread.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { Events, type Client } from 'discord.js';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { entryPoint } from '../src/entry.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/redis.js';
import { RenderPool } from '../src/render/pool.js';
import { startEmbeddedRedis } from '../dev/embedded.js';
import { createBot, createClient } from '../src/shard/bot.js';

const SHARDS = 2;

async function commandsProcessed(redis: ReturnType<typeof createRedis>): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)![1]);
}

/** Calls per command name since the server started (commands run inside scripts included). */
async function commandCalls(redis: ReturnType<typeof createRedis>): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  return new Map([...info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

export async function benchCollectors(opts: { messages?: number; rounds?: number } = {}): Promise<void> {
  const n = opts.messages ?? 40_000;
  const rounds = opts.rounds ?? 3;
  const child = entryPoint('./sim-child.ts', import.meta.url);
  const sim = spawn(process.execPath, [...child.execArgv, child.file, '50', String(SHARDS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: sim.stdout! })[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value);
  const { apiUrl, token } = JSON.parse(await next()) as { apiUrl: string; token: string };
  const send = async (count: number) => {
    sim.stdin!.write(`send ${count}\n`);
    await next();
  };

  const redisServer = await startEmbeddedRedis();
  const config = loadConfig({
    ...process.env,
    DISCORD_TOKEN: token,
    DISCORD_API_URL: apiUrl,
    REDIS_URL: redisServer.url,
    LOG_LEVEL: 'error',
  });
  const logger = createLogger('error');
  const redis = createRedis(redisServer.url);
  const pool = createPool('postgres://bench@127.0.0.1:1/none'); // never queried: no commands run here
  const render = new RenderPool({ threads: 1, logger });

  const results: Record<
    string,
    { rate: number[]; commandsPerEvent: number[]; calls: Map<string, number>[]; cpu: number[] }
  > = {};
  /** `onMessage` counts the messages the client handled (a listener on Events.MessageCreate would make the
   *  bot's client build discord.js Messages again: src/shard/guild-messages.ts). */
  async function measure(
    name: string,
    client: Client,
    onMessage: (seen: () => void) => void,
    start: () => Promise<void>,
    settle: () => Promise<void>,
  ) {
    let seen = 0;
    onMessage(() => seen++);
    await start();
    const waitSeen = async (target: number) => {
      while (seen < target) await new Promise((r) => setTimeout(r, 2));
    };
    await send(2_000); // warm-up: JIT, caches, connections
    await waitSeen(2_000);
    await settle();
    const r = (results[name] = {
      rate: [] as number[],
      commandsPerEvent: [] as number[],
      calls: [] as Map<string, number>[],
      cpu: [] as number[],
    });
    for (let i = 0; i < rounds; i++) {
      const before = seen;
      const calls0 = await commandCalls(redis);
      const cmd0 = await commandsProcessed(redis);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const sent = send(n);
      await waitSeen(before + n);
      const ms = performance.now() - t0;
      await sent;
      await settle();
      const cpu = process.cpuUsage(cpu0);
      r.cpu.push((cpu.user + cpu.system) / n);
      r.rate.push((n / ms) * 1000);
      r.commandsPerEvent.push(((await commandsProcessed(redis)) - cmd0 - 1) / n);
      const calls1 = await commandCalls(redis);
      r.calls.push(new Map([...calls1].map(([c, k]) => [c, (k - (calls0.get(c) ?? 0)) / n])));
    }
    await client.destroy();
  }

  const baseline = createClient(config, [0, 1], SHARDS);
  await measure(
    'empty handler',
    baseline,
    (seen) => baseline.on(Events.MessageCreate, seen),
    async () => {
      const ready = new Promise((r) => baseline.once(Events.ClientReady, r));
      await baseline.login(token);
      await ready;
    },
    async () => {},
  );

  const bot = createBot({
    config,
    redis,
    pool,
    render,
    logger,
    shards: [0, 1],
    shardCount: SHARDS,
    registerCommands: false,
  });
  await measure(
    'all collectors',
    bot.client,
    (seen) => bot.messages.on('bench', seen),
    () => bot.start(),
    () => bot.counters.settled(),
  );
  await bot.stop();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(results['empty handler']!.rate);
  const full = median(results['all collectors']!.rate);
  console.log(
    `collectors: ${n} MESSAGE_CREATE events × ${rounds} rounds, ${SHARDS} shards, one client process (median)`,
  );
  console.log(`  empty handler   ${Math.round(base).toLocaleString('en-US')} events/s`);
  console.log(`  all collectors  ${Math.round(full).toLocaleString('en-US')} events/s`);
  console.log(`  ratio collectors / empty: ${(full / base).toFixed(2)}`);
  const all = results['all collectors']!;
  // CPU time of this process (the client; the simulator is a child) per event: less sensitive than the
  // rate to other load on a shared machine.
  const cpuBase = median(results['empty handler']!.cpu);
  const cpuAll = median(all.cpu);
  console.log(
    `  client CPU per event: empty handler ${cpuBase.toFixed(1)} µs, all collectors ${cpuAll.toFixed(1)} µs (ratio empty / collectors ${(cpuBase / cpuAll).toFixed(2)})`,
  );
  console.log(
    `  Redis commands per event (all collectors, those run inside scripts included): ${median(all.commandsPerEvent).toFixed(2)}`,
  );
  // The last round's calls per event by command: what the process sends (EVALSHA, HSETNX...) and what
  // Redis runs for it inside scripts (HGET/HSET of the counter rows).
  const last = [...all.calls[all.calls.length - 1]!].filter(([c, k]) => k >= 0.005 && c !== 'info');
  console.log(`    by command: ${last.map(([c, k]) => `${c} ${k.toFixed(2)}`).join(', ')}`);

  sim.stdin!.write('quit\n');
  await Promise.allSettled([render.close(), pool.end(), redis.quit()]);
  await redisServer.stop();
}

// Slash-command latency, interaction sent → final reply with the PNG received, measured by the simulator:
// /stats server idle, and again while the simulator floods the same bot with messages as fast as it
// can. Baseline and loaded runs are side by side in one run; printed, never asserted.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { Events } from 'discord.js';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { entryPoint } from '../src/entry.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/redis.js';
import { RenderPool } from '../src/render/pool.js';
import { resolveServices } from '../dev/embedded.js';
import { createBot } from '../src/shard/bot.js';

// Two shards: one gateway socket cannot carry the flood this bench wants.
const SHARDS = 2;

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

export async function benchCommands(opts: { invocations?: number; flood?: number } = {}): Promise<void> {
  const invocations = opts.invocations ?? 40;
  const flood = opts.flood ?? 300_000;
  const logger = createLogger('error');
  // A fresh database and Redis of their own, so the numbers do not depend on what else is stored.
  const services = await resolveServices({ databaseUrl: undefined, redisUrl: undefined }, logger);
  await migrate(services.databaseUrl, logger);
  const child = entryPoint('./sim-child.ts', import.meta.url);
  const sim = spawn(process.execPath, [...child.execArgv, child.file, '20', String(SHARDS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  readline.createInterface({ input: sim.stdout! }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const next = (): Promise<string> => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => waiting.push(r)));
  // The flood's completion line can arrive between invocations: skip anything that is not the answer.
  const answer = async (verb: string): Promise<string> => {
    for (;;) {
      const line = await next();
      if (line.startsWith(`${verb} `)) return line;
    }
  };
  const ask = (line: string) => sim.stdin!.write(`${line}\n`);
  const { apiUrl, token } = JSON.parse(await next()) as { apiUrl: string; token: string };

  const config = loadConfig({ DISCORD_TOKEN: token, DISCORD_API_URL: apiUrl, DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl, LOG_LEVEL: 'error' });
  const redis = createRedis(services.redisUrl);
  const pool = createPool(services.databaseUrl);
  const render = new RenderPool({ logger });
  const bot = createBot({ config, redis, pool, render, logger, shards: [...Array(SHARDS).keys()], shardCount: SHARDS, registerCommands: true });
  let received = 0;
  bot.client.on(Events.MessageCreate, () => received++);
  await bot.start();

  // A day of history to chart, loaded into PostgreSQL.
  ask('send 20000');
  await next();
  await bot.counters.settled();
  const ingestor = new Ingestor({ redis, pool, keys: new Keys(config.redisKeyPrefix), partitions: config.redisPartitions, logger });
  await ingestor.runOnce(); // in production ingest is its own process: not on this one's event loop

  let user = 0;
  async function measure(): Promise<{ ms: number[]; failed: number }> {
    const ms: number[] = [];
    let failed = 0;
    for (let i = 0; i < invocations; i++) {
      ask(`invoke ${user++}`);
      const [, t, ok, ...why] = (await answer('invoked')).split(' ');
      if (ok === 'OK') ms.push(Number(t));
      else {
        failed++;
        console.log(`  (no chart after ${t} ms: ${ok} ${why.join(' ')})`);
      }
    }
    return { ms, failed };
  }

  const idle = await measure();
  ask(`flood ${flood}`);
  await answer('flooding');
  const before = received;
  const t0 = performance.now();
  const loaded = await measure();
  const rate = ((received - before) / (performance.now() - t0)) * 1000;

  const line = (name: string, r: { ms: number[]; failed: number }) =>
    `  ${name.padEnd(34)} p50 ${percentile(r.ms, 50).toFixed(0).padStart(5)} ms  p99 ${percentile(r.ms, 99).toFixed(0).padStart(5)} ms  (${r.ms.length} answered, ${r.failed} failed)`;
  console.log(`commands: /stats server, interaction → final reply with PNG, ${invocations} sequential invocations each`);
  console.log(line('idle', idle));
  console.log(line(`under load (${Math.round(rate).toLocaleString('en-US')} events/s received)`, loaded));
  console.log(`  ratio loaded / idle: p50 ${(percentile(loaded.ms, 50) / percentile(idle.ms, 50)).toFixed(2)}, p99 ${(percentile(loaded.ms, 99) / percentile(idle.ms, 99)).toFixed(2)}`);

  ask('quit');
  await ingestor.stop();
  await bot.stop();
  await Promise.allSettled([render.close(), pool.end(), redis.quit()]);
  await services.stop();
}

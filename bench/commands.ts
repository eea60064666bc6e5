// Slash-command latency, interaction sent → final reply with the PNG received, measured by the simulator:
// /stats server idle, and again while the simulator floods the shards with messages as fast as it can, in
// both modes side by side in one run: gateway (the shards answer, on the flooded event loop) and HTTP (the
// simulator POSTs to the interactions service, its own process, as Discord would). A few invocations are
// kept in flight at once. Printed, never asserted.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Invocations kept in flight at once. */
const CONCURRENCY = 4;

export async function benchCommands(opts: { invocations?: number; flood?: number } = {}): Promise<void> {
  const invocations = opts.invocations ?? 200;
  // Per loaded phase; more than the phase takes to send, so the flood lasts the whole measurement.
  const flood = opts.flood ?? 600_000;
  const logger = createLogger('error');
  // A fresh database and Redis of their own, so the numbers do not depend on what else is stored.
  const services = await resolveServices({ databaseUrl: undefined, redisUrl: undefined }, logger);
  await migrate(services.databaseUrl, logger);
  const child = entryPoint('./sim-child.ts', import.meta.url);
  const sim = spawn(process.execPath, [...child.execArgv, child.file, '20', String(SHARDS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  readline.createInterface({ input: sim.stdout! }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const next = (): Promise<string> =>
    lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => waiting.push(r));
  // The flood's completion line can arrive between invocations: skip anything that is not the answer.
  let flooding = false;
  const answer = async (verb: string): Promise<string> => {
    for (;;) {
      const line = await next();
      if (line.startsWith('flooded ')) flooding = false;
      if (line.startsWith(`${verb} `)) return line;
    }
  };
  const ask = (line: string) => sim.stdin!.write(`${line}\n`);
  const { apiUrl, token, publicKey } = JSON.parse(await next()) as { apiUrl: string; token: string; publicKey: string };

  const env = {
    DISCORD_TOKEN: token,
    DISCORD_API_URL: apiUrl,
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    LOG_LEVEL: 'error',
  };
  // The shards route commands too: in the HTTP phase the simulator sends them none (as Discord, once the
  // endpoint URL is set), so they only record.
  const config = loadConfig(env);
  const redis = createRedis(services.redisUrl);
  const pool = createPool(services.databaseUrl);
  const render = new RenderPool({ logger });
  const bot = createBot({
    config,
    redis,
    pool,
    render,
    logger,
    shards: [...Array(SHARDS).keys()],
    shardCount: SHARDS,
    registerCommands: true,
  });
  let received = 0;
  bot.client.on(Events.MessageCreate, () => received++);
  await bot.start();

  // A day of history to chart, loaded into PostgreSQL.
  ask('send 20000');
  await next();
  await bot.counters.settled();
  const ingestor = new Ingestor({
    redis,
    pool,
    keys: new Keys(config.redisKeyPrefix),
    partitions: config.redisPartitions,
    logger,
  });
  await ingestor.runOnce(); // in production ingest is its own process: not on this one's event loop

  let user = 0;
  async function measure(): Promise<{ ms: number[]; failed: number; unanswered: number }> {
    const ms: number[] = [];
    let failed = 0;
    let unanswered = 0;
    // Answers arrive in any order; CONCURRENCY invocations are out at any time.
    let sent = 0;
    const one = async (): Promise<void> => {
      while (sent < invocations) {
        sent++;
        ask(`invoke ${user++}`);
        const [, t, ok, ...why] = (await answer('invoked')).split(' ');
        if (ok === 'OK') ms.push(Number(t));
        else {
          failed++;
          if (ok === 'FAIL') unanswered++;
          console.log(`  (no chart after ${t} ms: ${ok} ${why.join(' ')})`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, one));
    return { ms, failed, unanswered };
  }
  async function underLoad(): Promise<{
    ms: number[];
    failed: number;
    unanswered: number;
    rate: number;
    floodLasted: boolean;
  }> {
    ask(`flood ${flood}`);
    await answer('flooding');
    flooding = true;
    const before = received;
    const t0 = performance.now();
    const r = await measure();
    const rate = ((received - before) / (performance.now() - t0)) * 1000;
    const floodLasted = flooding;
    // Let the flood drain before the next phase starts idle.
    while (flooding) await new Promise((res) => setTimeout(res, 100));
    return { ...r, rate, floodLasted };
  }
  // The flood's end is announced on its own line (see answer()): watch for it.
  const watch = setInterval(() => {
    const i = lines.findIndex((l) => l.startsWith('flooded '));
    if (i >= 0) {
      lines.splice(i, 1);
      flooding = false;
    }
  }, 50);

  const gatewayIdle = await measure();
  const gatewayLoaded = await underLoad();

  // HTTP mode: the interactions service in its own process, set as the endpoint URL (validated first).
  const port = await freePort();
  const entry = entryPoint('../src/interactions/main.ts', import.meta.url);
  const service = spawn(process.execPath, [...entry.execArgv, entry.file], {
    env: {
      ...process.env,
      ...env,
      REDIS_KEY_PREFIX: config.redisKeyPrefix,
      DISCORD_PUBLIC_KEY: publicKey,
      INTERACTIONS_PORT: String(port),
      METRICS_PORT: '0',
      RENDER_THREADS: '1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (
    let end = Date.now() + 60_000;
    !(await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    ));
  ) {
    if (Date.now() > end || service.exitCode !== null) throw new Error('the interactions service did not start');
    await new Promise((res) => setTimeout(res, 100));
  }
  ask(`endpoint http://127.0.0.1:${port}/interactions`);
  const set = await answer('endpoint');
  if (!set.startsWith('endpoint OK')) throw new Error(set);
  const deliveries = async (from: number) => {
    ask(`deliveries ${from}`);
    const [, n, failed, p50, p99] = (await answer('deliveries')).split(' ');
    return { n: Number(n), failed: Number(failed), p50: p50 ?? 'NaN', p99: p99 ?? 'NaN' };
  };
  const httpIdle = await measure();
  const ackIdle = await deliveries(0);
  const httpLoaded = await underLoad();
  const ackLoaded = await deliveries(ackIdle.n);
  clearInterval(watch);

  const line = (name: string, r: { ms: number[]; failed: number; unanswered: number }) =>
    `  ${name.padEnd(36)} p50 ${percentile(r.ms, 50).toFixed(0).padStart(5)} ms  p99 ${percentile(r.ms, 99).toFixed(0).padStart(5)} ms  (${r.ms.length} charts, ${r.failed - r.unanswered} error replies, ${r.unanswered} unanswered)`;
  // The flood's sending may end before the shards have read it all: the rate is what they received.
  const loadName = (mode: string, r: { rate: number; floodLasted: boolean }) =>
    `${mode} under load (${Math.round(r.rate).toLocaleString('en-US')} events/s)`;
  const ratio = (a: { ms: number[] }, b: { ms: number[] }) =>
    `p50 ${(percentile(a.ms, 50) / percentile(b.ms, 50)).toFixed(2)}, p99 ${(percentile(a.ms, 99) / percentile(b.ms, 99)).toFixed(2)}`;
  console.log(
    `commands: /stats server, interaction → final reply with PNG, ${invocations} invocations per row, ${CONCURRENCY} in flight`,
  );
  console.log(line('gateway idle', gatewayIdle));
  console.log(line(loadName('gateway', gatewayLoaded), gatewayLoaded));
  console.log(line('http idle', httpIdle));
  console.log(line(loadName('http', httpLoaded), httpLoaded));
  console.log(
    `  ratio loaded / idle: gateway ${ratio(gatewayLoaded, gatewayIdle)}; http ${ratio(httpLoaded, httpIdle)}`,
  );
  const ack = (name: string, d: { n: number; failed: number; p50: string; p99: string }) =>
    `  http acknowledgement (POST → HTTP response), ${name}: p50 ${d.p50} ms, p99 ${d.p99} ms; ${d.failed} of ${d.n} without a valid answer within Discord's 3 s`;
  console.log(ack('idle', ackIdle));
  console.log(ack('under load', ackLoaded));

  service.kill('SIGTERM');
  await new Promise((res) => service.once('exit', res));
  ask('quit');
  await ingestor.stop();
  await bot.stop();
  await Promise.allSettled([render.close(), pool.end(), redis.quit()]);
  await services.stop();
}

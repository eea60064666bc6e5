// `npm run bench -- scale --big-guild`: one shard process with one 100,000-member guild instead (big-guild.ts).
// `npm run bench -- scale [--duration=SECONDS] [--rate=MSGS_PER_S] [--redis=single|cluster] [--ingest-workers=N]`:
// the production shape on this machine. `--redis=cluster` runs every process on a local 3-master/3-replica
// Redis Cluster (dev/redis-cluster.ts, REDIS_WAIT_REPLICAS=1) with two ingest workers sharing the partitions
// (`--ingest-workers` overrides; one by default on a single Redis).
// A simulated 5,000-guild world on 8 shards: the real cluster manager process (`start:cluster`) with 4
// cluster processes of 2 shards, the real ingest worker process, steady message traffic and a /stats
// server command every 10 s. Every 30 s: RSS of each process, events/s sent and counted, ingest lag,
// command latency. Baseline in the same run: two extra processes each holding the same 5,000 guilds on
// all 8 shards, one with our client configuration (createClient) and one with discord.js's default
// caches, for memory per 1,000 guilds. The simulator runs in this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import readline from 'node:readline';
import { Client, Events } from 'discord.js';
import { BENCH_SERVER_URL, runSql } from './scratch-database.js';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { entryPoint } from '../src/entry.js';
import { connectRedis, scanKeys } from '../src/redis.js';
import { startRedisCluster, type LocalRedisCluster } from '../dev/redis-cluster.js';
import { freePort, startEmbeddedRedis } from '../dev/embedded.js';
import { botIntents, createClient } from '../src/shard/bot.js';
import { startSimulator, type Simulator } from 'discord-sim';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';

const GUILDS = 5_000;
const SHARDS = 8;
const SHARDS_PER_CLUSTER = 2;
const REPORT_EVERY_MS = 30_000;

export function flag(name: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3);
}

/** VmRSS of a process in MB (0 once it has exited). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Direct children of `ppid` whose command line contains `match`, from /proc/<pid>/stat (field 4). */
function childPids(ppid: number, match: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(match)) out.push(Number(d));
    } catch {
      // exited while we looked
    }
  }
  return out.sort((a, b) => a - b);
}

/** Sum of a metric's samples whose label set contains `match`, from Prometheus text. */
async function scrape(port: number, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (match && !line.includes(match)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** `piped`: stdin and stdout are ours to talk over; otherwise the child logs to our terminal. */
export function spawnEntry(
  relative: string,
  env: Record<string, string>,
  opts: { piped?: boolean; nodeArgs?: string[] } = {},
): ChildProcess {
  const e = entryPoint(relative, import.meta.url);
  return spawn(process.execPath, [...(opts.nodeArgs ?? []), ...e.execArgv, e.file], {
    env: { ...process.env, ...env },
    stdio: opts.piped ? ['pipe', 'pipe', 'inherit'] : ['ignore', 'inherit', 'inherit'],
  });
}

export async function waitFor(what: string, timeoutMs: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);
const mb = (n: number) => `${n.toFixed(0)} MB`;

export async function benchScale(): Promise<void> {
  const durationS = Number(flag('duration') ?? process.env.SCALE_DURATION_S ?? 600);
  const rate = Number(flag('rate') ?? process.env.SCALE_RATE ?? 500);
  const tag = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const base = BENCH_SERVER_URL;
  const dbName = `bench_scale_${tag}`;
  const admin = (sql: string) => runSql(sql);
  const dbUrl = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
  const redisMode = flag('redis') ?? 'single';
  if (redisMode !== 'single' && redisMode !== 'cluster')
    throw new Error(`--redis must be single or cluster, got ${redisMode}`);
  const ingestWorkers = Number(flag('ingest-workers') ?? (redisMode === 'cluster' ? 2 : 1));
  const redisCluster: LocalRedisCluster | undefined = redisMode === 'cluster' ? await startRedisCluster() : undefined;
  const embeddedRedis = redisCluster || process.env.REDIS_URL ? undefined : await startEmbeddedRedis();
  const redisUrl = process.env.REDIS_URL || embeddedRedis?.url || 'redis://unused';
  const prefix = `bench-scale-${tag}`;
  const procs: ChildProcess[] = [];
  let sim: Simulator | undefined;
  const pool = createPool(dbUrl);
  try {
    await admin(`CREATE DATABASE ${dbName} TEMPLATE template0`);
    await migrate(dbUrl);

    let t0 = performance.now();
    sim = await startSimulator({ guilds: GUILDS, shards: SHARDS, logLevel: 'error' });
    const s = sim;
    const members = [...s.world.guilds.values()].reduce((a, g) => a + g.members.size, 0);
    console.log(
      `scale: ${GUILDS} guilds (${members.toLocaleString('en-US')} members), ${SHARDS} shards in ${SHARDS / SHARDS_PER_CLUSTER} cluster processes, ${rate} messages/s for ${durationS} s`,
    );
    console.log(
      `  redis: ${redisCluster ? `cluster of 3 masters + 3 replicas (REDIS_WAIT_REPLICAS=1)` : 'single server'}, ${ingestWorkers} ingest worker(s)`,
    );
    console.log(`  simulator world built and listening in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const env = {
      DISCORD_TOKEN: s.token,
      DISCORD_API_URL: s.apiUrl,
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl,
      REDIS_CLUSTER_NODES: redisCluster?.seeds.join(',') ?? '',
      REDIS_WAIT_REPLICAS: redisCluster ? '1' : '0',
      REDIS_KEY_PREFIX: prefix,
      TOTAL_SHARDS: String(SHARDS),
      SHARDS_PER_CLUSTER: String(SHARDS_PER_CLUSTER),
      LOG_LEVEL: 'warn',
      RENDER_THREADS: '1',
    };
    const managerPort = await freePort();
    t0 = performance.now();
    const manager = spawnEntry('../src/cluster/main.ts', { ...env, METRICS_PORT: String(managerPort) });
    procs.push(manager);
    await waitFor('8 ready shards', 300_000, () => s.readyShards().length >= SHARDS);
    await waitFor('command registration', 60_000, () => s.registeredCommands.global.length > 0);
    console.log(`  4 cluster processes spawned, 8 shards ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const ingests: { proc: ChildProcess; port: number }[] = [];
    for (let i = 0; i < ingestWorkers; i++) {
      const port = await freePort();
      const proc = spawnEntry('../src/ingest/main.ts', { ...env, METRICS_PORT: String(port) });
      procs.push(proc);
      ingests.push({ proc, port });
      await waitFor('the ingest worker', 120_000, () =>
        fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      );
    }

    // Baseline processes: all 5,000 guilds each, our cache configuration and discord.js's defaults.
    const baselines: Record<string, { proc: ChildProcess; next: () => Promise<string> }> = {};
    for (const cache of ['ours', 'default']) {
      const proc = spawnEntry('./scale.ts', { ...env, SCALE_CHILD: cache }, { piped: true, nodeArgs: ['--expose-gc'] });
      procs.push(proc);
      const lines = readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
      const next = async () => String((await lines.next()).value);
      baselines[cache] = { proc, next };
      await next(); // "ready"
    }
    const baselineMemory = async (cache: string) => {
      baselines[cache]!.proc.stdin!.write('mem\n');
      return JSON.parse(await baselines[cache]!.next()) as {
        rss: number;
        heapUsed: number;
        guilds: number;
        members: number;
        messages: number;
      };
    };

    // Steady traffic and a /stats server command every 10 s, until the deadline.
    const deadline = Date.now() + durationS * 1000;
    let seed = 1;
    const traffic = (async () => {
      while (Date.now() < deadline) await s.sendTraffic({ messages: rate * 5, ratePerSec: rate, seed: seed++ });
    })();
    const latencies: number[] = [];
    let commandFailures = 0;
    const guildIds = [...s.world.guilds.keys()];
    const commands = (async () => {
      for (let i = 0; Date.now() < deadline; i++) {
        const guildId = guildIds[(i * 7919) % guildIds.length]!;
        const t = performance.now();
        try {
          await s.invokeCommand({
            guildId,
            channelId: s.world.textChannels(guildId)[0]!.id,
            userId: s.world.humanMembers(guildId)[0]!.user.id,
            name: 'stats',
            subcommand: 'server',
            options: [{ name: 'period', type: 3, value: '1h' }],
            timeoutMs: 30_000,
          });
          latencies.push(performance.now() - t);
        } catch {
          commandFailures++;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (performance.now() - t))));
      }
    })();

    const clusters = () => childPids(manager.pid!, 'shard/main'); // not tsx's esbuild service
    const started = Date.now();
    let last = {
      at: started,
      sent: s.truth.sentCount,
      counted: await scrape(managerPort, 'stats_gateway_events_total', 'type="MESSAGE_CREATE"'),
    };
    let latencyFrom = 0;
    const peak = { clusters: 0 };
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(REPORT_EVERY_MS, Math.max(0, deadline - Date.now()))));
      const now = Date.now();
      const sent = s.truth.sentCount;
      const counted = await scrape(managerPort, 'stats_gateway_events_total', 'type="MESSAGE_CREATE"').catch(() => NaN);
      const lag = Math.max(
        ...(await Promise.all(ingests.map((w) => scrape(w.port, 'stats_ingest_lag_seconds').catch(() => NaN)))),
      );
      const dt = (now - last.at) / 1000;
      const clusterRss = clusters().map(rssMb);
      peak.clusters = Math.max(
        peak.clusters,
        clusterRss.reduce((a, b) => a + b, 0),
      );
      const window = latencies.slice(latencyFrom);
      latencyFrom = latencies.length;
      console.log(
        `  t=${Math.round((now - started) / 1000)}s  rss manager ${mb(rssMb(manager.pid))}, clusters [${clusterRss.map((x) => x.toFixed(0)).join(', ')}] MB, ingest ${ingests.map((w) => mb(rssMb(w.proc.pid))).join(' + ')}, sim+bench ${mb(rssMb(process.pid))}` +
          `  |  events/s sent ${((sent - last.sent) / dt).toFixed(0)}, counted ${((counted - last.counted) / dt).toFixed(0)}  |  ingest lag ${lag.toFixed(1)} s` +
          `  |  /stats server ${window.length ? `${median(window).toFixed(0)} ms median, ${Math.max(...window).toFixed(0)} ms max (${window.length})` : 'no reply in window'}`,
      );
      last = { at: now, sent, counted };
    }
    await traffic;
    await commands;

    // Memory per 1,000 guilds, after a full GC in the baseline processes.
    const ours = await baselineMemory('ours');
    const dflt = await baselineMemory('default');
    const per1k = (bytes: number, guilds: number) => (bytes / 1024 / 1024 / guilds) * 1000;
    const clusterTotal = clusters()
      .map(rssMb)
      .reduce((a, b) => a + b, 0);
    console.log(`memory per 1,000 guilds (same run, same 5,000 guilds, same traffic):`);
    console.log(
      `  cluster processes (4, production config, RSS incl. render thread): ${(clusterTotal / (GUILDS / 1000)).toFixed(1)} MB (total ${mb(clusterTotal)}, peak ${mb(peak.clusters)})`,
    );
    console.log(
      `  one client, our caches:     heap ${per1k(ours.heapUsed, ours.guilds).toFixed(1)} MB, RSS ${per1k(ours.rss, ours.guilds).toFixed(1)} MB  (cached members ${ours.members}, messages ${ours.messages})`,
    );
    console.log(
      `  one client, default caches: heap ${per1k(dflt.heapUsed, dflt.guilds).toFixed(1)} MB, RSS ${per1k(dflt.rss, dflt.guilds).toFixed(1)} MB  (cached members ${dflt.members}, messages ${dflt.messages})`,
    );
    console.log(
      `  ratio default / ours: heap ${(dflt.heapUsed / ours.heapUsed).toFixed(2)}, RSS ${(dflt.rss / ours.rss).toFixed(2)}`,
    );
    console.log(
      `  /stats server over the run: ${median(latencies).toFixed(0)} ms median, ${Math.max(...latencies).toFixed(0)} ms max, ${latencies.length} replies, ${commandFailures} failures`,
    );
    const rest = s.restStats;
    console.log(
      `  REST against Discord's limits (simulated): ${rest.requests.toLocaleString('en-US')} requests, 429s ${rest.rateLimited.user} per-route, ${rest.rateLimited.global} global${rest.limitedRoutes.size ? ` (${[...rest.limitedRoutes].map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
    );

    // Ingest catches up: Postgres holds exactly the messages the simulator counts as members'.
    const truth = [...s.truth.messageTotals().values()].reduce((a, t) => a + t.messages, 0);
    const dbTotal = async () =>
      [...(await messageTotalsByChannelMember(pool, guildIds)).values()].reduce((a, t) => a + t.messages, 0);
    t0 = performance.now();
    await waitFor('ingest to catch up', 120_000, async () => (await dbTotal()) === truth).catch(() => {});
    const loaded = await dbTotal();
    console.log(
      `  after traffic: ${loaded.toLocaleString('en-US')} of ${truth.toLocaleString('en-US')} counted messages in Postgres${loaded === truth ? ` (exact, ${((performance.now() - t0) / 1000).toFixed(1)} s after the traffic stopped)` : ' (NOT exact)'}`,
    );
  } finally {
    // SIGTERM: the manager stops its cluster processes gracefully and waits for them.
    await Promise.all(
      procs.map((p) =>
        p.exitCode !== null || p.signalCode !== null
          ? undefined
          : new Promise<void>((resolve) => {
              p.once('exit', () => resolve());
              p.kill('SIGTERM');
              setTimeout(() => p.kill('SIGKILL'), 30_000).unref();
            }),
      ),
    );
    await sim?.close();
    await pool.end();
    if (redisCluster) await redisCluster.stop();
    else {
      const redis = connectRedis({ url: redisUrl });
      await Promise.all((await scanKeys(redis, `${prefix}:*`)).map((k) => redis.unlink(k)));
      await redis.quit();
    }
    await embeddedRedis?.stop();
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  }
}

/** Baseline child: one client on all shards; answers `mem` on stdin with its memory after a full GC. */
async function baselineChild(cache: string): Promise<void> {
  const config = loadConfig();
  const shards = Array.from({ length: SHARDS }, (_, i) => i);
  const client =
    cache === 'ours'
      ? createClient(config, shards, SHARDS)
      : new Client({
          // The same intents as ours, discord.js's default caches: only the caches differ.
          intents: botIntents(config),
          rest: { api: config.discordApiUrl },
          shards,
          shardCount: SHARDS,
        });
  const ready = new Promise((r) => client.once(Events.ClientReady, r));
  await client.login(config.discordToken);
  await ready;
  process.stdout.write('ready\n');
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line.trim() !== 'mem') continue;
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    let members = 0;
    let messages = 0;
    for (const g of client.guilds.cache.values()) {
      members += g.members.cache.size;
      for (const c of g.channels.cache.values()) if ('messages' in c) messages += c.messages.cache.size;
    }
    process.stdout.write(JSON.stringify({ rss, heapUsed, guilds: client.guilds.cache.size, members, messages }) + '\n');
  }
  await client.destroy();
  process.exit(0);
}

if (process.env.SCALE_CHILD) {
  process.on('SIGTERM', () => process.exit(0));
  await baselineChild(process.env.SCALE_CHILD);
}

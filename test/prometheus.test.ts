// Debian's real Prometheus scrapes the processes on loopback: the cluster manager (its /metrics carries the
// cluster processes' series, as in production) an ingest worker process, the interactions service and the dashboard, while the simulator sends
// traffic and a command. Every PromQL expression of the Grafana dashboards and of the alert rules must
// parse and return series from what was scraped. New services join through TARGETS below.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { freePort, track, waitForExit } from '../dev/embedded.js';
import { sendMixedTraffic } from 'discord-sim';
import { startStack, type Stack } from '../dev/stack.js';
import { aggregateMetrics } from '../src/cluster/manager.js';
import { entryPoint } from '../src/entry.js';
import { startOpsServer } from '../src/http.js';
import { createLogger } from '../src/logger.js';
import { requestRun } from '../src/scheduled-runs.js';
import { collectProcessMetrics, registry } from '../src/metrics.js';
import { testDatabase, testRedis } from './helpers/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const logger = createLogger('warn', { test: 'prometheus' });

/**
 * What Prometheus scrapes: a job name and a start function that returns the port its /metrics is on and a
 * stop function. The stack answers commands in HTTP mode, so the interactions service is one of them.
 */
interface Target {
  job: string;
  start(): Promise<{ port: number; stop(): Promise<void> }>;
}

/**
 * Labelled counters that exist only once something went wrong (prom-client exports a labelled child on its
 * first increment, and the label values are not known before): a healthy run has no series of these, so
 * an expression naming only them must parse but cannot return series. Every other expression must.
 */
const FAILURE_ONLY = new Set([
  'stats_collector_errors_total',
  'stats_gateway_dispatches_rejected_total',
  'stats_process_errors_total',
  'stats_cluster_restarts_total',
  'stats_session_conflicts_total',
  'stats_invite_fetch_errors_total',
]);

let stack: Stack;
let dropDb: () => Promise<void>;
let prom: ChildProcess | undefined;
let promUrl: string;
let dir: string;
const stops: (() => Promise<void>)[] = [];

function spawnIngest(env: Record<string, string>): Target['start'] {
  return async () => {
    const port = await freePort();
    const entry = entryPoint('../src/ingest/main.ts', import.meta.url);
    const child = spawn(process.execPath, [...entry.execArgv, entry.file], {
      env: { ...process.env, ...env, METRICS_PORT: String(port), INGEST_INTERVAL_MS: '200', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    track(child, 'SIGKILL');
    return { port, stop: async () => (child.kill('SIGTERM'), waitForExit(child, 10_000)) };
  };
}

async function query(
  expr: string,
): Promise<{ status: string; error?: string; data?: { resultType: string; result: unknown[] } }> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown[] } };
}

beforeAll(async () => {
  const db = await testDatabase();
  dropDb = db.drop;
  const redis = testRedis();
  collectProcessMetrics();
  stack = await startStack({
    databaseUrl: db.url,
    redisUrl: redis.url,
    keyPrefix: redis.prefix,
    logger,
    guilds: 6,
    totalShards: 2,
    shardsPerCluster: 1,
    heartbeatIntervalMs: 5_000,
    interactions: 'http',
    web: {},
  });
  const targets: Target[] = [
    {
      job: 'cluster',
      // The manager's /metrics exactly as src/cluster/main.ts serves it.
      start: async () => {
        const ops = await startOpsServer({
          port: 0,
          logger,
          metrics: () => aggregateMetrics(stack.manager),
          ready: () => true,
        });
        return { port: ops.port, stop: () => ops.close() };
      },
    },
    {
      job: 'ingest',
      start: spawnIngest({ DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix }),
    },
    // Started (and stopped) by the stack as its own process.
    { job: 'interactions', start: async () => ({ port: stack.interactionsMetricsPort!, stop: async () => {} }) },
    {
      job: 'web',
      // The dashboard runs in this process (the stack's): its /metrics as src/web/main.ts serves it, the
      // process registry. (The manager's own registry is this process's too, so the cluster job repeats it.)
      start: async () => {
        const ops = await startOpsServer({
          port: 0,
          logger,
          metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
          ready: () => true,
        });
        return { port: ops.port, stop: () => ops.close() };
      },
    },
  ];
  const scrape: { job: string; port: number }[] = [];
  for (const t of targets) {
    const s = await t.start();
    stops.push(s.stop);
    scrape.push({ job: t.job, port: s.port });
  }

  dir = await mkdtemp(path.join(os.tmpdir(), 'stats-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(ROOT, 'k8s/prometheus/alerts.yaml')],
    scrape_configs: scrape.map((s) => ({ job_name: s.job, static_configs: [{ targets: [`127.0.0.1:${s.port}`] }] })),
  };
  await writeFile(path.join(dir, 'prometheus.yml'), JSON.stringify(config)); // JSON is YAML
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  prom.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const spawnError = new Promise<Error>((resolve) => prom!.once('error', resolve));
  track(prom, 'SIGKILL');
  const failed = await Promise.race([
    spawnError,
    new Promise<undefined>((resolve) => prom!.once('spawn', () => resolve(undefined))),
  ]);
  if (failed)
    throw new Error(`prometheus could not start (${failed.message}): install it (Debian: apt-get install prometheus)`);
  await vi.waitFor(
    async () => {
      if ((await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.status !== 200)
        throw new Error(`prometheus did not become ready: ${stderr}`);
    },
    { timeout: 30_000, interval: 200 },
  );

  // Traffic (messages and member joins through invites) loaded by the ingest worker, then a chart command,
  // so counters move and the ingest, command and render histograms have samples.
  await sendMixedTraffic(stack.sim, {
    messages: 500,
    emojiMessages: 50,
    reactions: 20,
    appMessages: 20,
    joins: 2,
    voiceMembers: 0,
    seed: 2,
    betweenJoins: () => stack.memberEventsSettled(),
  });
  await vi.waitFor(
    async () => {
      if ((await stack.diff()).length > 0) throw new Error('the ingest worker did not load the traffic');
    },
    { timeout: 60_000, interval: 250 },
  );
  const guildId = [...stack.sim.world.guilds.keys()][0]!;
  await stack.sim.invokeCommand({
    guildId,
    channelId: stack.sim.world.textChannels(guildId)[0]!.id,
    userId: stack.sim.world.humanMembers(guildId)[0]!.user.id,
    name: 'stats',
    subcommand: 'server',
    options: [{ name: 'period', type: 3, value: '1h' }],
    timeoutMs: 30_000,
  });
  // One scheduler pass (the stack's scheduler, in this process): a counters run for a guild, so the run
  // counter and duration histogram have series.
  await requestRun(stack.pool, 'counters', guildId);
  expect(await stack.scheduler.tick()).toBe(1);
  await stack.scheduler.idle();
  // A dashboard request (refused: no session), so its request histogram has a series.
  expect((await fetch(`${stack.web!.url}/api/me`)).status).toBe(401);
  // Every target up, and enough scrapes after the command for rate() over a short window.
  // (Shards report heartbeat latency every 15 s.)
  const enough = `count(count_over_time(stats_render_duration_seconds_count[1m]) >= 4) and on() count(up == 1) == ${targets.length} and on() count(stats_shard_heartbeat_latency_seconds)`;
  await vi.waitFor(
    async () => {
      if ((await query(enough)).data?.result.length !== 1)
        throw new Error('prometheus has not scraped every target with the command for 4 scrapes');
    },
    { timeout: 60_000, interval: 500 },
  );
}, 240_000);

afterAll(async () => {
  if (prom) {
    prom.kill('SIGTERM');
    await waitForExit(prom, 5_000);
  }
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await stack?.stop();
  await dropDb?.();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

/** Grafana's interval variables, as Grafana substitutes them before sending the query. */
const grafana = (expr: string) =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '5m');

async function dashboardExprs(): Promise<{ where: string; expr: string }[]> {
  const out: { where: string; expr: string }[] = [];
  const dashDir = path.join(ROOT, 'grafana/dashboards');
  for (const f of (await readdir(dashDir)).filter((x) => x.endsWith('.json'))) {
    const d = JSON.parse(await readFile(path.join(dashDir, f), 'utf8')) as {
      panels?: { title?: string; targets?: { expr?: string }[] }[];
    };
    for (const p of d.panels ?? [])
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${f}: ${p.title}`, expr: grafana(t.expr) });
  }
  return out;
}

/** An alert's condition without its threshold: the series it compares (both sides of each `or` branch). */
async function alertExprs(): Promise<{ where: string; expr: string }[]> {
  const rules = parse(await readFile(path.join(ROOT, 'k8s/prometheus/alerts.yaml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const out: { where: string; expr: string }[] = [];
  for (const r of rules.groups.flatMap((g) => g.rules)) {
    for (const branch of r.expr.split(/\s+or\s+/)) {
      for (const side of branch.split(/\s(?:==|!=|>=|<=|>|<)\s/))
        if (!/^\s*[\d.]+\s*$/.test(side)) out.push({ where: r.alert, expr: side.trim() });
    }
  }
  return out;
}

describe('a real Prometheus scraping the manager, the ingest worker, the interactions service and the dashboard', () => {
  it('scrapes every target', async () => {
    const res = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
      data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] };
    };
    const health = res.data.activeTargets.map(
      (t) => `${t.labels.job}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`,
    );
    expect(health.sort()).toEqual(['cluster: up', 'ingest: up', 'interactions: up', 'web: up']);
  });

  it('every dashboard and alert expression parses and returns series', async () => {
    const rules = parse(await readFile(path.join(ROOT, 'k8s/prometheus/alerts.yaml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    // Whole alert conditions are empty on a healthy run: they must parse; their parts must return series.
    for (const r of rules.groups.flatMap((g) => g.rules)) expect((await query(r.expr)).status, r.alert).toBe('success');
    const exprs = [...(await dashboardExprs()), ...(await alertExprs())];
    expect(exprs.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const { where, expr } of exprs) {
      const r = await query(expr);
      if (r.status !== 'success') {
        problems.push(`${where}: does not parse: ${r.error} — ${expr}`);
        continue;
      }
      const names = expr.match(/\b(?:stats|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
      const failureOnly = names.length > 0 && names.every((n) => FAILURE_ONLY.has(n));
      if (r.data!.result.length === 0 && !failureOnly) problems.push(`${where}: no series — ${expr}`);
    }
    expect(problems).toEqual([]);
  });

  it('the alert rules load, and none fires on a healthy run', async () => {
    const res = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; state: string; lastError?: string }[] }[] };
    };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(10);
    expect(rules.filter((r) => r.health === 'err').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(rules.filter((r) => r.state === 'firing').map((r) => r.name)).toEqual([]);
  });
});

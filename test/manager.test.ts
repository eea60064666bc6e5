// The cluster manager never stays up without its shards: the real `start:cluster` process against the
// simulator ends with a clear message and a non-zero exit when Discord rejects the token (at login, or
// with gateway close 4004 mid-session: exit 78, no restart), and when a cluster process keeps dying
// (SIGKILLed as soon as it starts, like an OOM kill): restarts with backoff until the budget is spent,
// not ready meanwhile, then exit 1.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_UNRECOVERABLE } from '../src/cluster-ipc.js';
import { entryPoint } from '../src/entry.js';
import { startSimulator, type Simulator } from 'discord-sim';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';
import { createRedis } from '../src/redis.js';

interface LogLine {
  level: number;
  msg: string;
  role?: string;
  cluster?: number;
  pid?: number;
  port?: number;
  reason?: string;
  [k: string]: unknown;
}

interface ManagerRun {
  child: ChildProcess;
  lines: LogLine[];
  /** Resolves with the first line matching, or rejects when the process exits first. */
  waitFor(match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

let sim: Simulator;
let dbUrl: string;
let dropDb: () => Promise<void>;
const r = testRedis();

beforeAll(async () => {
  const db = await testDatabase();
  dbUrl = db.url;
  dropDb = db.drop;
  sim = await startSimulator({ guilds: 4, shards: 1, seed: 8 });
}, 60_000);

afterAll(async () => {
  await sim?.close();
  const redis = createRedis(r.url);
  await cleanupPrefix(redis, r.prefix).catch(() => {});
  await redis.quit();
  await dropDb?.();
}, 60_000);

function startManager(env: Record<string, string>): ManagerRun {
  const entry = entryPoint('../src/cluster/main.ts', import.meta.url);
  const started = Date.now();
  const child = spawn(process.execPath, [...entry.execArgv, entry.file], {
    env: {
      ...process.env,
      DISCORD_TOKEN: sim.token,
      DISCORD_API_URL: sim.apiUrl,
      DATABASE_URL: dbUrl,
      REDIS_URL: r.url,
      REDIS_KEY_PREFIX: r.prefix,
      TOTAL_SHARDS: '1',
      SHARDS_PER_CLUSTER: '1',
      METRICS_PORT: '0',
      RENDER_THREADS: '1',
      CLUSTER_SPAWN_DELAY_MS: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  readline.createInterface({ input: child.stdout! }).on('line', (text) => {
    let l: LogLine;
    try {
      l = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    lines.push(l);
    for (const w of waiters) {
      if (!w.match(l)) continue;
      waiters.delete(w);
      w.resolve(l);
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - started })),
  );
  return {
    child,
    lines,
    exit,
    waitFor(match, timeoutMs = 60_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const w = { match, resolve };
        waiters.add(w);
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error('no matching log line in time'));
        }, timeoutMs);
        void exit.then(({ code }) => {
          clearTimeout(timer);
          if (waiters.delete(w)) reject(new Error(`manager exited (code ${code}) before a matching log line`));
        });
      });
    },
  };
}

const managerLine = (msg: RegExp) => (l: LogLine) => l.role === 'cluster-manager' && msg.test(l.msg);

async function readyz(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return res.status;
}

describe('cluster manager supervision', () => {
  it('a rejected token (401 at login) ends the manager with exit 78 and the reason, without a single restart', async () => {
    const identifies = sim.identifyLog.length;
    const run = startManager({ DISCORD_TOKEN: 'bm90LWEtdG9rZW4.AAAAAA.not-the-simulators-token-at-all' });
    const { code, ms } = await run.exit;
    expect(code).toBe(EXIT_UNRECOVERABLE);
    const giveUp = run.lines.find(managerLine(/^giving up/))!;
    expect(giveUp.reason).toMatch(/cluster 0 cannot run: Discord rejected the bot token.*DISCORD_TOKEN/);
    expect(run.lines.filter(managerLine(/cluster process started/))).toHaveLength(1);
    expect(run.lines.some(managerLine(/restarting it/))).toBe(false);
    expect(sim.identifyLog.length).toBe(identifies);
    console.log(`rejected token: manager exited ${code} after ${ms} ms: ${giveUp.msg}`);
  }, 90_000);

  it('gateway close 4004 mid-session ends the manager with exit 78 and the reason', async () => {
    const run = startManager({});
    await run.waitFor(managerLine(/^cluster ready$/));
    await sim.waitForShards(1);
    sim.faults.dropConnection(0, 4004);
    const { code } = await run.exit;
    expect(code).toBe(EXIT_UNRECOVERABLE);
    const giveUp = run.lines.find(managerLine(/^giving up/))!;
    expect(giveUp.reason).toMatch(
      /cluster 0 cannot run: Discord closed shard 0 with 4004 \(AuthenticationFailed\): the bot token was rejected/,
    );
    expect(run.lines.some(managerLine(/restarting it/))).toBe(false);
    // The cluster process stopped cleanly on its own before exiting 78.
    expect(run.lines.some((l) => l.cluster === 0 && l.msg === 'stopped')).toBe(true);
  }, 90_000);

  it('a cluster process that keeps dying is restarted with backoff while the manager is not ready, then the manager exits 1', async () => {
    const run = startManager({
      CLUSTER_RESTART_BUDGET: '2',
      CLUSTER_RESTART_BACKOFF_MS: '1000',
      CLUSTER_RESTART_RECOVERY_MS: '600000',
    });
    const port = (await run.waitFor((l) => l.role === 'cluster-manager' && typeof l.port === 'number')).port!;
    const killed: number[] = [];
    const restartDelays: number[] = [];
    const readiness: number[] = [];
    // Every cluster process is killed as soon as it starts (the budget allows two restarts: three deaths).
    for (let i = 0; i < 3; i++) {
      const startedLine = await run.waitFor(
        (l) => managerLine(/cluster process started/)(l) && typeof l.pid === 'number' && !killed.includes(l.pid),
      );
      process.kill(startedLine.pid!, 'SIGKILL');
      killed.push(startedLine.pid!);
      if (i < 2) {
        await run.waitFor(() => run.lines.filter(managerLine(/restarting it/)).length === i + 1);
        restartDelays.push(run.lines.filter(managerLine(/restarting it/))[i]!.restartInMs as number);
        // Dead and waiting for its restart: not ready.
        readiness.push(await readyz(port));
      }
    }
    const { code } = await run.exit;
    expect(code).toBe(1);
    expect(restartDelays).toEqual([1000, 2000]); // exponential backoff
    expect(readiness).toEqual([503, 503]);
    const giveUp = run.lines.find(managerLine(/^giving up/))!;
    expect(giveUp.reason).toMatch(
      /cluster 0 keeps dying \(last exit: SIGKILL\): its restart budget of 2 \(one back every 600 s\) is spent/,
    );
    expect(run.lines.filter(managerLine(/cluster process started/))).toHaveLength(3);
  }, 120_000);
});

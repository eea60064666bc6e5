import { spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { startSimulator } from 'discord-sim';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';
import {
  layoutProblems,
  podShards,
  ShardLayoutError,
  totalClusters,
  type ShardLayout,
} from '../src/cluster/shard-range.js';

const ROOT = path.resolve(import.meta.dirname, '..');

const LAYOUTS: ShardLayout[] = [
  { totalShards: 1, shardsPerCluster: 2, pods: 1 },
  { totalShards: 16, shardsPerCluster: 4, pods: 4 },
  { totalShards: 17, shardsPerCluster: 4, pods: 3 },
  { totalShards: 100, shardsPerCluster: 8, pods: 5 },
  { totalShards: 96, shardsPerCluster: 16, pods: 3, clustersPerPod: 2 },
  { totalShards: 1024, shardsPerCluster: 16, pods: 7 },
  { totalShards: 10, shardsPerCluster: 1, pods: 10 },
  { totalShards: 64, shardsPerCluster: 4, pods: 2, clustersPerPod: 8 },
];

describe('podShards', () => {
  for (const layout of LAYOUTS) {
    it(`every shard exactly once, contiguous per pod: ${JSON.stringify(layout)}`, () => {
      const pods = Array.from({ length: layout.pods }, (_, i) => podShards(layout, i));
      const owners = new Map<number, number>();
      let next = 0;
      let nextCluster = 0;
      for (const pod of pods) {
        expect(pod.shards.length).toBeGreaterThan(0);
        // Contiguous and continuing where the previous pod stopped: ranges are disjoint and ordered.
        expect(pod.shards).toEqual(Array.from({ length: pod.shards.length }, (_, i) => next + i));
        expect(pod.clusterIds).toEqual(Array.from({ length: pod.clusterIds.length }, (_, i) => nextCluster + i));
        next += pod.shards.length;
        nextCluster += pod.clusterIds.length;
        for (const s of pod.shards) {
          expect(owners.has(s)).toBe(false);
          owners.set(s, pod.podIndex);
        }
        // The manager chunks the pod's list by shardsPerCluster: each chunk must be the global cluster's shards.
        pod.clusterIds.forEach((c, i) => {
          const chunk = pod.shards.slice(i * layout.shardsPerCluster, (i + 1) * layout.shardsPerCluster);
          expect(chunk[0]).toBe(c * layout.shardsPerCluster);
          expect(chunk.every((s) => Math.floor(s / layout.shardsPerCluster) === c)).toBe(true);
        });
        expect(Math.ceil(pod.shards.length / layout.shardsPerCluster)).toBe(pod.clusterIds.length);
      }
      expect(owners.size).toBe(layout.totalShards);
      expect(next).toBe(layout.totalShards);
      expect(nextCluster).toBe(totalClusters(layout));
      // Cluster 0 (registers commands) is on pod 0 and nowhere else.
      expect(pods.filter((p) => p.clusterIds.includes(0)).map((p) => p.podIndex)).toEqual([0]);
    });
  }

  it('spreads clusters evenly by default', () => {
    const l = { totalShards: 100, shardsPerCluster: 8, pods: 5 }; // 13 clusters → 3,3,3,3,1
    expect([0, 1, 2, 3, 4].map((i) => podShards(l, i).clusterIds.length)).toEqual([3, 3, 3, 3, 1]);
    expect(podShards(l, 4).shards).toEqual([96, 97, 98, 99]);
    expect(podShards(l, 1)).toEqual({
      podIndex: 1,
      clusterIds: [3, 4, 5],
      shards: Array.from({ length: 24 }, (_, i) => 24 + i),
    });
  });

  it('refuses layouts that lose shards or idle a pod, and bad pod indexes', () => {
    expect(layoutProblems({ totalShards: 64, shardsPerCluster: 4, pods: 2, clustersPerPod: 4 })[0]).toMatch(
      /cannot hold 16 clusters/,
    );
    expect(layoutProblems({ totalShards: 8, shardsPerCluster: 4, pods: 3 })[0]).toMatch(/last pod without shards/);
    expect(layoutProblems({ totalShards: 0, shardsPerCluster: 4, pods: 1 })[0]).toMatch(/totalShards/);
    expect(layoutProblems({ totalShards: 8, shardsPerCluster: 4, pods: 1, clustersPerPod: 0 })[0]).toMatch(
      /clustersPerPod/,
    );
    expect(() => podShards({ totalShards: 8, shardsPerCluster: 4, pods: 2 }, 2)).toThrow(ShardLayoutError);
    expect(() => podShards({ totalShards: 8, shardsPerCluster: 4, pods: 2 }, -1)).toThrow(/pod index/);
    expect(() => podShards({ totalShards: 8, shardsPerCluster: 4, pods: 2 }, 1.5)).toThrow(/pod index/);
  });
});

describe('loadConfig and the pod layout', () => {
  it('reads POD_INDEX, PODS and CLUSTERS_PER_POD and refuses layouts that lose shards or idle a pod', () => {
    expect(loadConfig({ TOTAL_SHARDS: '12', SHARDS_PER_CLUSTER: '2', PODS: '3', POD_INDEX: '2' })).toMatchObject({
      podIndex: 2,
      pods: 3,
      clustersPerPod: undefined,
    });
    expect(loadConfig({}).podIndex).toBeUndefined();
    expect(() => loadConfig({ PODS: '2', POD_INDEX: '2', TOTAL_SHARDS: '4' })).toThrow(/POD_INDEX must be below PODS/);
    expect(() => loadConfig({ TOTAL_SHARDS: '8', SHARDS_PER_CLUSTER: '4', PODS: '3' })).toThrow(
      /last pod without shards/,
    );
    expect(() => loadConfig({ TOTAL_SHARDS: '64', SHARDS_PER_CLUSTER: '4', PODS: '2', CLUSTERS_PER_POD: '4' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ POD_INDEX: '-1' })).toThrow(/POD_INDEX/);
  });
});

describe('a StatefulSet pod (src/cluster/main.ts with POD_INDEX)', () => {
  it('pod 1 of 2 runs exactly shards 2 and 3, as global clusters 2 and 3, and is ready once both are', async () => {
    const sim = await startSimulator({ guilds: 8, shards: 4, logLevel: 'silent' });
    const db = await testDatabase();
    const { url: redisUrl, prefix } = testRedis();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cluster/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DISCORD_TOKEN: sim.token,
        DISCORD_API_URL: sim.apiUrl,
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        TOTAL_SHARDS: '4',
        SHARDS_PER_CLUSTER: '1',
        PODS: '2',
        POD_INDEX: '1',
        CLUSTER_SPAWN_DELAY_MS: '0',
        METRICS_PORT: '0',
        RENDER_THREADS: '1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (b: Buffer) => (log += b.toString()));
    child.stderr.on('data', (b: Buffer) => (log += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => /"port":(\d+)/.exec(log)?.[1], { timeout: 30_000, interval: 200 }).toBeDefined();
      const port = /"port":(\d+)/.exec(log)![1];
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status, { timeout: 60_000, interval: 250 })
        .toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const ready = [...metrics.matchAll(/^stats_shard_ready\{([^}]*)\} (\d+)$/gm)]
        .map((m) => `${m[1]}=${m[2]}`)
        .sort();
      expect(ready).toEqual(['shard="2",cluster="2"=1', 'shard="3",cluster="3"=1']);
      const range = log.split('\n').find((l) => l.includes('shard range of this pod'))!;
      expect(JSON.parse(range)).toMatchObject({ pod: 1, pods: 2, clusters: [2, 3], shards: [2, 3] });
      // Only this pod's shards identified with the gateway.
      expect([...new Set(sim.identifyLog.map((x) => x.shard))].sort()).toEqual([2, 3]);
    } finally {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      const redis = new Redis(redisUrl);
      await cleanupPrefix(redis, prefix);
      redis.disconnect();
      await sim.close();
      await db.drop();
    }
  }, 120_000);
});

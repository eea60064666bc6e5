// ioredis connections, to one Redis (REDIS_URL) or to a Redis Cluster (REDIS_CLUSTER_NODES). Auto-pipelining
// batches the shard's un-awaited HINCRBYs into one round trip per event-loop tick (per node on a cluster);
// commands fail fast (no endless offline queue) so the caller's bounded retry buffer, not ioredis, decides
// what to keep while Redis is down.
//
// On a cluster every multi-key command (RENAME, MULTI, Lua scripts) names keys of one hash tag
// (src/keys.ts), so it stays within one slot. Two commands carry no key and need a node picked here:
// SCAN (run on every master: a partition's keys are on one, or on two while its slot migrates) and WAIT
// (run on the connection of the master that owns the partition, the one that took the rotation).
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export { Cluster, Redis };
/** Either kind of client; the code that uses Redis takes this type. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server, or the seed nodes of a cluster (ioredis discovers the rest). */
export type RedisTarget = { url: string } | { clusterNodes: string[] };

const retryStrategy = (times: number): number => Math.min(100 * 2 ** Math.min(times, 6), 5_000);

function nodeOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    // Reconnect forever with capped backoff; a shard must outlive a Redis outage.
    retryStrategy,
    lazyConnect: false,
  };
}

/** host:port of a `redis://[user:pass@]host:port` seed; credentials and TLS apply to every node. */
function seed(entry: string): { host: string; port: number; auth: RedisOptions } {
  const u = new URL(entry.includes('://') ? entry : `redis://${entry}`);
  const auth: RedisOptions = {};
  if (u.username) auth.username = decodeURIComponent(u.username);
  if (u.password) auth.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') auth.tls = {};
  return { host: u.hostname, port: Number(u.port || 6379), auth };
}

/**
 * Commands sent on their own, never auto-pipelined: CounterWriter's row scripts (one per key count, see
 * src/counters.ts). Each already carries a turn's rows; sent alone, a NOSCRIPT (a node that has not seen
 * the script: after a failover or a slot migration) falls back to EVAL, where in a Cluster auto-pipeline
 * it broke ioredis's reply matching (test/redis-cluster.test.ts).
 */
export const UNPIPELINED_COMMANDS = Array.from({ length: 16 }, (_, i) => `counterAddRows${i + 1}`);

/** A cluster client: keys routed by slot, reads from masters (a replica may lag behind a rotation). */
export function createCluster(nodes: string[], opts: ClusterOptions = {}): Cluster {
  const seeds = nodes.map(seed);
  return new Cluster(
    seeds.map((s) => ({ host: s.host, port: s.port })),
    {
      enableAutoPipelining: true,
      autoPipeliningIgnoredCommands: UNPIPELINED_COMMANDS,
      scaleReads: 'master',
      clusterRetryStrategy: retryStrategy,
      // A failover takes the cluster a few seconds: keep redirecting meanwhile instead of failing at once.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 300,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: 2_000,
      ...opts,
      redisOptions: { ...nodeOptions(), ...seeds[0]?.auth, ...opts.redisOptions },
    },
  );
}

/** A single-node client. */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: UNPIPELINED_COMMANDS,
    ...nodeOptions(),
    ...opts,
  });
}

/** The client a process opens from its configuration (REDIS_CLUSTER_NODES wins over REDIS_URL). */
export function connectRedis(target: RedisTarget): RedisClient {
  return 'clusterNodes' in target ? createCluster(target.clusterNodes) : createRedis(target.url);
}

export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/** Every key matching `pattern` (SCAN, never KEYS); on a cluster, from every master. Order unspecified. */
export async function scanKeys(redis: RedisClient, pattern: string, count = 1000): Promise<string[]> {
  const found = new Set<string>();
  for (const node of isCluster(redis) ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      for (const k of keys) found.add(k);
    } while (cursor !== '0');
  }
  return [...found];
}

/**
 * The connection writes to `key` went through: the client itself, or on a cluster the pooled connection to
 * the master that owns the key's slot (so WAIT counts that master's replicas and this client's writes).
 */
export function nodeFor(redis: RedisClient, key: string): Redis {
  if (!isCluster(redis)) return redis;
  const master = redis.slots[calculateSlot(key)]?.[0];
  const node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master);
  if (!node) throw new Error(`no connected master owns the slot of ${key} (cluster ${redis.status})`);
  return node;
}

/** WAIT for `replicas` replicas of the master owning `key` to hold our writes; returns how many did. */
export function waitReplicas(redis: RedisClient, key: string, replicas: number, timeoutMs: number): Promise<number> {
  return nodeFor(redis, key).wait(replicas, timeoutMs);
}

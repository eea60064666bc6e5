// The one place that reads the environment. Every entry point calls loadConfig() at start; a bad value
// fails fast with an error naming the variable and what is wrong with it.
import os from 'node:os';
import { layoutProblems, totalClusters } from './shard-layout.js';
import type { RedisTarget } from './redis.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** Bot token; undefined until a real deployment or the demo provides one. Never log it. */
  discordToken: string | undefined;
  /** REST base, e.g. http://127.0.0.1:PORT/api for the simulator. discord.js appends /v10. */
  discordApiUrl: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Seed nodes (`host:port` or `redis[s]://[user:pass@]host:port`) of a Redis Cluster; set, it replaces redisUrl. */
  redisClusterNodes: string[] | undefined;
  /** Prefix of every Redis key this deployment owns (tests isolate themselves with it). */
  redisKeyPrefix: string;
  /** Number of live-hash partitions; fixed for the life of a deployment's data. */
  redisPartitions: number;
  /** Replicas an ingest rotation waits for (Redis WAIT) before loading; 0 without replicas. */
  redisWaitReplicas: number;
  totalShards: number;
  shardsPerCluster: number;
  logLevel: LogLevel;
  /** Port of /metrics and /healthz; 0 picks a free port. */
  metricsPort: number;
  ingestIntervalMs: number;
  /** How long an ingest worker's partition lease outlives it: a crashed worker's partitions wait this long. */
  ingestLeaseMs: number;
  /** How long a scheduler replica's claim on a job run holds without renewal (a dead replica's runs wait this long). */
  schedulerLeaseMs: number;
  /** Job runs in flight at once per scheduler replica. */
  schedulerConcurrency: number;
  /** Gap between a scheduler replica's claims of due runs. */
  schedulerTickMs: number;
  /** Each scheduler replica's share of the bot's global REST limit (Discord: 50/s per bot, shared by every process). */
  schedulerRestPerSecond: number;
  /** Failed loads of one batch (PostgreSQL refused its data) before it is quarantined. */
  ingestMaxAttempts: number;
  renderThreads: number;
  /** Bound of the shard's retry buffer for failed Redis increments (distinct fields). */
  retryBufferMax: number;
  /** Open voice and activity sessions are credited to their minute buckets at least this often. */
  voiceCreditIntervalMs: number;
  /** Ask for the privileged GUILD_PRESENCES intent and count presence activity time. */
  presenceIntent: boolean;
  /** How late Discord may dispatch a join after its invite use showed in a fetch; attributions wait this long. */
  inviteGraceMs: number;
  /** Gap between identifies of one max_concurrency bucket, across every process (Discord: 5 s). */
  identifyIntervalMs: number;
  /** A stopping process force-exits after this long (SIGTERM to exit). */
  shutdownGraceMs: number;
  /** Human-readable logs through pino-pretty (development only). */
  logPretty: boolean;
  /** Delay between cluster spawns of one manager (`start:cluster`); identifies are spaced by the Redis throttler, not by this. */
  clusterSpawnDelayMs: number;
  /** Restarts a dying cluster process may use in a burst before the manager gives up and exits non-zero. */
  clusterRestartBudget: number;
  /** Time for one used restart to come back to a cluster's budget. */
  clusterRestartRecoveryMs: number;
  /** First delay before restarting a dead cluster process; doubles per death until it is ready again (max 60 s). */
  clusterRestartBackoffMs: number;
  /**
   * This pod's ordinal in the cluster StatefulSet (label apps.kubernetes.io/pod-index); undefined outside
   * Kubernetes: the manager then runs every shard. With it, the pod runs podShards(..) of src/cluster/shard-range.ts.
   */
  podIndex: number | undefined;
  /** Replicas of the cluster StatefulSet (1 outside Kubernetes). */
  pods: number;
  /** Clusters per pod; undefined spreads the clusters evenly over the pods. */
  clustersPerPod: number | undefined;
  /**
   * Who answers slash commands: 'gateway' (the cluster processes, over their gateway sockets; no public URL
   * needed) or 'http' (the interactions service behind the application's Interactions Endpoint URL; shards
   * only record).
   */
  interactions: 'gateway' | 'http';
  /** The application's public key (hex), for the interactions service's Ed25519 signature checks. */
  discordPublicKey: string | undefined;
  /** Port of the interactions service's POST /interactions; 0 picks a free port. */
  interactionsPort: number;
  /** Largest interaction body the service reads; larger ones get 413 before any parsing. */
  interactionsMaxBodyBytes: number;
  /** How far a request's X-Signature-Timestamp may be from the service's clock (stale or replayed requests). */
  interactionsMaxAgeSec: number;
  /** The dashboard (`start:web`): HTTP port of the pages, the API and /metrics. */
  webPort: number;
  /** Public origin of the dashboard, e.g. https://stats.example.com; the OAuth2 redirect is <this>/auth/callback. */
  webPublicUrl: string | undefined;
  /** OAuth2 client id (the application id) and secret, from the developer portal. Never log the secret. */
  discordClientId: string | undefined;
  discordClientSecret: string | undefined;
  /** Discord's web origin for /oauth2/authorize (the simulator's base URL in development). */
  discordOAuthUrl: string;
  /** How far back a backfill reads message history, in days. */
  backfillDays: number;
  /** Backfill a server's history when the bot first sees it (else only on /backfill start). */
  backfillOnJoin: boolean;
  /** How often a cluster process looks for queued backfills of its guilds. */
  backfillPollMs: number;
  /** How long a backfill's lease outlives its runner: a killed runner's guild resumes elsewhere after this. */
  backfillLeaseMs: number;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) {
    problems.push(`${name} must be a whole number, got "${raw}"`);
    return def;
  }
  const n = Number(raw);
  if (n < min || n > max) problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function optionalInt(env: Env, name: string, min: number, max: number, problems: string[]): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  return int(env, name, min, min, max, problems);
}

function bool(env: Env, name: string, def: boolean, problems: string[]): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return def;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  problems.push(`${name} must be true or false, got "${env[name]}"`);
  return def;
}

function url(env: Env, name: string, protocols: string[], problems: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    const u = new URL(raw);
    if (!protocols.includes(u.protocol)) {
      problems.push(`${name} must use ${protocols.join(' or ')}, got "${u.protocol}"`);
    }
  } catch {
    // Do not echo the value: URLs carry passwords.
    problems.push(`${name} is not a valid URL`);
  }
  return raw;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], def: T, problems: string[]): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return def;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  problems.push(`${name} must be one of ${values.join(', ')}, got "${env[name]}"`);
  return def;
}

function clusterNodes(env: Env, name: string, problems: string[]): string[] | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const nodes = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const n of nodes) {
    try {
      const u = new URL(n.includes('://') ? n : `redis://${n}`);
      if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
        problems.push(`${name} entries must use redis: or rediss:, got "${u.protocol}"`);
      else if (!u.hostname || !u.port) problems.push(`${name} entries must be host:port`);
    } catch {
      problems.push(`${name} holds an entry that is not host:port or a redis:// URL`);
    }
  }
  if (nodes.length === 0) problems.push(`${name} must list at least one host:port`);
  return nodes;
}

export { totalClusters };

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const token = env.DISCORD_TOKEN === '' ? undefined : env.DISCORD_TOKEN;
  if (token !== undefined && /\s/.test(token)) problems.push('DISCORD_TOKEN must not contain whitespace');
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const prefix = env.REDIS_KEY_PREFIX ?? 'stats';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    problems.push('REDIS_KEY_PREFIX must be 1-64 characters of letters, digits, "_", "." or "-"');
  }
  const cfg: Config = {
    discordToken: token,
    discordApiUrl: url(env, 'DISCORD_API_URL', ['http:', 'https:'], problems) ?? 'https://discord.com/api',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], problems),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:'], problems),
    redisClusterNodes: clusterNodes(env, 'REDIS_CLUSTER_NODES', problems),
    redisKeyPrefix: prefix,
    redisPartitions: int(env, 'REDIS_PARTITIONS', 16, 1, 4096, problems),
    redisWaitReplicas: int(env, 'REDIS_WAIT_REPLICAS', 0, 0, 16, problems),
    totalShards: int(env, 'TOTAL_SHARDS', 1, 1, 100_000, problems),
    shardsPerCluster: int(env, 'SHARDS_PER_CLUSTER', 2, 1, 64, problems),
    logLevel,
    metricsPort: int(env, 'METRICS_PORT', 9100, 0, 65535, problems),
    ingestIntervalMs: int(env, 'INGEST_INTERVAL_MS', 5000, 10, 3_600_000, problems),
    ingestLeaseMs: int(env, 'INGEST_LEASE_MS', 30_000, 500, 3_600_000, problems),
    schedulerLeaseMs: int(env, 'SCHEDULER_LEASE_MS', 60_000, 500, 3_600_000, problems),
    schedulerConcurrency: int(env, 'SCHEDULER_CONCURRENCY', 4, 1, 256, problems),
    schedulerTickMs: int(env, 'SCHEDULER_TICK_MS', 5_000, 10, 600_000, problems),
    schedulerRestPerSecond: int(env, 'SCHEDULER_REST_PER_SECOND', 5, 1, 50, problems),
    ingestMaxAttempts: int(env, 'INGEST_MAX_ATTEMPTS', 3, 1, 1_000, problems),
    renderThreads: int(env, 'RENDER_THREADS', Math.max(1, os.availableParallelism() - 1), 1, 64, problems),
    retryBufferMax: int(env, 'RETRY_BUFFER_MAX', 100_000, 100, 10_000_000, problems),
    voiceCreditIntervalMs: int(env, 'VOICE_CREDIT_INTERVAL_MS', 60_000, 100, 60_000, problems),
    presenceIntent: bool(env, 'PRESENCE_INTENT', false, problems),
    inviteGraceMs: int(env, 'INVITE_GRACE_MS', 1_500, 100, 60_000, problems),
    identifyIntervalMs: int(env, 'IDENTIFY_INTERVAL_MS', 5_000, 100, 60_000, problems),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 500, 600_000, problems),
    logPretty: bool(env, 'LOG_PRETTY', false, problems),
    clusterSpawnDelayMs: int(env, 'CLUSTER_SPAWN_DELAY_MS', 1_000, 0, 600_000, problems),
    clusterRestartBudget: int(env, 'CLUSTER_RESTART_BUDGET', 5, 0, 1_000, problems),
    clusterRestartRecoveryMs: int(env, 'CLUSTER_RESTART_RECOVERY_MS', 600_000, 1_000, 86_400_000, problems),
    clusterRestartBackoffMs: int(env, 'CLUSTER_RESTART_BACKOFF_MS', 1_000, 10, 60_000, problems),
    podIndex: optionalInt(env, 'POD_INDEX', 0, 9_999, problems),
    pods: int(env, 'PODS', 1, 1, 10_000, problems),
    clustersPerPod: optionalInt(env, 'CLUSTERS_PER_POD', 1, 10_000, problems),
    interactions: oneOf(env, 'INTERACTIONS', ['gateway', 'http'] as const, 'gateway', problems),
    discordPublicKey: env.DISCORD_PUBLIC_KEY === '' ? undefined : env.DISCORD_PUBLIC_KEY?.trim().toLowerCase(),
    interactionsPort: int(env, 'INTERACTIONS_PORT', 8080, 0, 65535, problems),
    interactionsMaxBodyBytes: int(env, 'INTERACTIONS_MAX_BODY_BYTES', 64 * 1024, 1024, 8 * 1024 * 1024, problems),
    interactionsMaxAgeSec: int(env, 'INTERACTIONS_MAX_AGE_S', 30, 1, 600, problems),
    webPort: int(env, 'WEB_PORT', 8081, 0, 65535, problems),
    webPublicUrl: url(env, 'WEB_PUBLIC_URL', ['http:', 'https:'], problems)?.replace(/\/+$/, ''),
    discordClientId: env.DISCORD_CLIENT_ID || undefined,
    discordClientSecret: env.DISCORD_CLIENT_SECRET || undefined,
    discordOAuthUrl: (url(env, 'DISCORD_OAUTH_URL', ['http:', 'https:'], problems) ?? 'https://discord.com').replace(
      /\/+$/,
      '',
    ),
    backfillDays: int(env, 'BACKFILL_DAYS', 30, 1, 3650, problems),
    backfillOnJoin: bool(env, 'BACKFILL_ON_JOIN', true, problems),
    backfillPollMs: int(env, 'BACKFILL_POLL_MS', 5_000, 50, 600_000, problems),
    backfillLeaseMs: int(env, 'BACKFILL_LEASE_MS', 30_000, 500, 3_600_000, problems),
  };
  if (cfg.discordPublicKey !== undefined && !/^[0-9a-f]{64}$/.test(cfg.discordPublicKey)) {
    problems.push(
      "DISCORD_PUBLIC_KEY must be the 64 hex digits of the application's public key (developer portal, General Information)",
    );
  }
  if (cfg.discordClientId !== undefined && !/^\d{17,20}$/.test(cfg.discordClientId))
    problems.push('DISCORD_CLIENT_ID must be a snowflake (the application id)');
  if (cfg.discordClientSecret !== undefined && /\s/.test(cfg.discordClientSecret))
    problems.push('DISCORD_CLIENT_SECRET must not contain whitespace');
  if (cfg.podIndex !== undefined && cfg.podIndex >= cfg.pods) {
    problems.push(`POD_INDEX must be below PODS (${cfg.pods}), got ${cfg.podIndex}`);
  }
  if (problems.length === 0) {
    // A layout that loses shards or idles a pod is a configuration error, found before any pod connects.
    for (const p of layoutProblems(cfg))
      problems.push(`TOTAL_SHARDS / SHARDS_PER_CLUSTER / PODS / CLUSTERS_PER_POD: ${p}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

/** Where a process finds Redis: the cluster's seed nodes when REDIS_CLUSTER_NODES is set, else REDIS_URL. */
export function redisTarget(c: Pick<Config, 'redisUrl' | 'redisClusterNodes'>, why: string): RedisTarget {
  if (c.redisClusterNodes) return { clusterNodes: c.redisClusterNodes };
  return { url: required(c.redisUrl, 'REDIS_URL (or REDIS_CLUSTER_NODES)', why) };
}

/** For entry points that cannot run without a value (production services without embedded defaults). */
export function required<T>(value: T | undefined, name: string, why: string): T {
  if (value === undefined) throw new ConfigError([`${name} is required ${why}`]);
  return value;
}

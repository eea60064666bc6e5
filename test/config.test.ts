import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redisTarget, required } from '../src/config.js';

describe('config', () => {
  it('has working defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.discordToken).toBeUndefined();
    expect(c.databaseUrl).toBeUndefined();
    expect(c.discordApiUrl).toBe('https://discord.com/api');
    expect(c.totalShards).toBe(1);
    expect(c.redisPartitions).toBe(16);
    expect(c.logLevel).toBe('info');
  });

  it('reads every variable', () => {
    const c = loadConfig({
      DISCORD_TOKEN: 'abc.def',
      DISCORD_API_URL: 'http://127.0.0.1:1234/api',
      DATABASE_URL: 'postgres://u@h/db',
      REDIS_URL: 'redis://127.0.0.1:6380',
      TOTAL_SHARDS: '8',
      SHARDS_PER_CLUSTER: '4',
      LOG_LEVEL: 'debug',
      METRICS_PORT: '0',
      REDIS_PARTITIONS: '32',
    });
    expect(c).toMatchObject({
      discordToken: 'abc.def',
      totalShards: 8,
      shardsPerCluster: 4,
      logLevel: 'debug',
      metricsPort: 0,
      redisPartitions: 32,
    });
  });

  it('names every bad variable and what is wrong, without echoing URLs', () => {
    let err: unknown;
    try {
      loadConfig({
        TOTAL_SHARDS: 'two',
        SHARDS_PER_CLUSTER: '0',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'not a url:secret@',
        REDIS_URL: 'http://x',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toContain('TOTAL_SHARDS must be a whole number, got "two"');
    expect(problems).toContain('SHARDS_PER_CLUSTER must be between 1 and 64, got 0');
    expect(problems.some((p) => p.startsWith('LOG_LEVEL must be one of'))).toBe(true);
    expect(problems).toContain('DATABASE_URL is not a valid URL');
    expect(problems).toContain('REDIS_URL must use redis: or rediss:, got "http:"');
    expect((err as Error).message).not.toContain('secret');
  });

  it('REDIS_CLUSTER_NODES selects a Redis Cluster and wins over REDIS_URL; bad entries are named, passwords never echoed', () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis://:pw@10.0.0.2:7001 ',
    };
    const c = loadConfig(env);
    expect(c.redisClusterNodes).toEqual(['10.0.0.1:7000', 'redis://:pw@10.0.0.2:7001']);
    expect(redisTarget(c, 'here')).toEqual({ clusterNodes: ['10.0.0.1:7000', 'redis://:pw@10.0.0.2:7001'] });
    expect(redisTarget(loadConfig({ REDIS_URL: 'redis://h:1' }), 'here')).toEqual({ url: 'redis://h:1' });
    expect(() => redisTarget(loadConfig({}), 'in a test')).toThrow(
      'REDIS_URL (or REDIS_CLUSTER_NODES) is required in a test',
    );
    let err: unknown;
    try {
      loadConfig({ REDIS_CLUSTER_NODES: 'http://a:1,10.0.0.1,redis://:secret@[::1' });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).problems).toEqual([
      'REDIS_CLUSTER_NODES entries must use redis: or rediss:, got "http:"',
      'REDIS_CLUSTER_NODES entries must be host:port',
      'REDIS_CLUSTER_NODES holds an entry that is not host:port or a redis:// URL',
    ]);
    expect((err as Error).message).not.toContain('secret');
  });

  it('required() explains why a value is needed', () => {
    expect(() => required(undefined, 'DISCORD_TOKEN', 'to connect to Discord')).toThrow(
      'DISCORD_TOKEN is required to connect to Discord',
    );
    expect(required('x', 'A', 'b')).toBe('x');
  });
});

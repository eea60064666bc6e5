// The interactions service assembled: responder (REST-only discord.js client + the shared command router),
// the Fastify server in front of it, and replay protection in Redis. Used by main.ts and, in-process, by
// tests and benchmarks.
import type { AddressInfo } from 'node:net';
import type { RedisClient } from '../redis.js';
import { required, type Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import { recordCommandUses } from '../command-uses.js';
import { CounterWriter } from '../counters.js';
import { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { OptOutStore } from '../privacy.js';
import type { RenderPool } from '../render/pool.js';
import { GuildSettingsStore } from '../settings.js';
import { ACK_DEADLINE_MS } from '../commands/framework/router.js';
import { createResponder, type Responder } from './responder.js';
import { buildInteractionsServer } from './server.js';
import { ed25519PublicKey } from './verify.js';

export interface InteractionsService {
  responder: Responder;
  /** Where POST /interactions listens (e.g. http://127.0.0.1:PORT/interactions). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startInteractionsService(o: {
  config: Config;
  redis: RedisClient;
  pool: Pool;
  render: RenderPool;
  logger: Logger;
  host?: string;
  ready?: () => boolean;
  /** The command router's clock (per-member cooldowns); default the real one (tests move theirs forward). */
  commandClock?: () => number;
}): Promise<InteractionsService> {
  const { config, redis, logger } = o;
  const publicKey = ed25519PublicKey(
    required(
      config.discordPublicKey,
      'DISCORD_PUBLIC_KEY',
      "by the interactions service (the application's public key, developer portal)",
    ),
  );
  const settings = new GuildSettingsStore(o.pool, redis, config.redisKeyPrefix, logger);
  // Opt-outs: changed here (/privacy), and read here too, to leave opted-out members' command uses uncounted.
  const privacy = new OptOutStore(o.pool, redis, config.redisKeyPrefix, logger);
  await privacy
    .subscribe()
    .catch((err: unknown) =>
      logger.error({ err }, 'could not subscribe to privacy opt-outs; restart to pick up changes'),
    );
  await privacy.load().catch((err: unknown) => logger.error({ err }, 'could not load privacy opt-outs'));
  const keys = new Keys(config.redisKeyPrefix);
  const counters = new CounterWriter({
    redis,
    keys,
    partitions: config.redisPartitions,
    logger,
    maxBuffered: config.retryBufferMax,
  });
  const responder = createResponder(
    config,
    { pool: o.pool, render: o.render, logger, settings, privacy },
    { now: o.commandClock },
  );
  // Shards receive no interactions in HTTP mode: our command uses (the apps family) are counted here.
  recordCommandUses(responder.client, counters, settings, privacy);
  await responder.start();
  const seenTtlMs = config.interactionsMaxAgeSec * 2 * 1000;
  const app = buildInteractionsServer({
    publicKey,
    maxBodyBytes: config.interactionsMaxBodyBytes,
    maxAgeSec: config.interactionsMaxAgeSec,
    responder,
    logger,
    ready: o.ready,
    // Ids are unique per interaction; one seen within the timestamp window again is a replay.
    firstSeen: async (id) => (await redis.set(keys.interactionSeen(id), '1', 'PX', seenTtlMs, 'NX')) === 'OK',
  });
  await app.listen({ port: config.interactionsPort, host: o.host ?? '0.0.0.0' });
  const port = (app.server.address() as AddressInfo).port;
  logger.info({ port }, 'interactions service listening on POST /interactions');
  return {
    responder,
    port,
    url: `http://127.0.0.1:${port}/interactions`,
    async stop() {
      // Fastify's close lets requests in flight finish; commands already acknowledged finish their edits.
      // Connections Node does not count as idle (seen with the simulator's keep-alive fetch) would hold
      // the close forever: past Discord's 3-second window nobody waits for an answer, so cut them then.
      const cut = setTimeout(() => app.server.closeAllConnections(), ACK_DEADLINE_MS + 1_000);
      await app.close();
      clearTimeout(cut);
      await responder.stop();
      privacy.close();
      if (!(await counters.drain()))
        logger.error(counters.pending, 'stopping with command uses not yet written to Redis');
      counters.close();
    },
  };
}

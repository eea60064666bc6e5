// Timed sessions wired into a client: voice always, presence activities when the intent is configured.
// One SessionWriter (the atomic Redis write path) serves both trackers.
import { Status, type Client } from 'discord.js';
import type { RedisClient } from '../../redis.js';
import type { Config } from '../../config.js';
import { Keys } from '../../keys.js';
import type { Logger } from '../../logger.js';
import type { OptOutStore } from '../../privacy.js';
import type { GuildSettingsStore } from '../../settings.js';
import { activityDims, collectActivities } from '../collectors/activities.js';
import { collectVoice, voiceDims } from '../collectors/voice.js';
import { SessionTracker } from './tracker.js';
import { SessionWriter } from './writer.js';

export { SessionTracker, type Presence } from './tracker.js';
export { SessionWriter } from './writer.js';
export * from './segment.js';

export interface TimedSessions {
  voice: SessionTracker;
  activities: SessionTracker | undefined;
  writer: SessionWriter;
  /** Credits every open session up to now and waits for the writes; true when all were written. Call after
   *  the client is destroyed (no more events): the final credit then ignores shard status. */
  stop(timeoutMs?: number): Promise<boolean>;
  /** Redis lost its data: credit every open session now, which writes them back (SessionWriter resolves). */
  resync(): void;
}

export interface TimedSessionOptions {
  config: Config;
  redis: RedisClient;
  logger: Logger;
  /** The trackers' clock (see SessionTrackerOptions.now); default the real one. */
  now?: () => number;
  /** Excluded channels are not counted. */
  settings?: GuildSettingsStore;
  /** Opted-out members are not counted; an opt-out closes their open sessions at once. */
  privacy?: OptOutStore;
}

export function collectTimedSessions(client: Client, o: TimedSessionOptions): TimedSessions {
  const writer = new SessionWriter({ redis: o.redis, logger: o.logger, maxBuffered: o.config.retryBufferMax });
  const common = {
    redis: o.redis,
    writer,
    keys: new Keys(o.config.redisKeyPrefix),
    partitions: o.config.redisPartitions,
    intervalMs: o.config.voiceCreditIntervalMs,
    now: o.now,
    isLive: (guildId: string) => {
      const guild = client.guilds.cache.get(guildId);
      return !guild || client.ws.shards.get(guild.shardId)?.status === Status.Ready;
    },
  };
  const voice = new SessionTracker({
    ...common,
    family: 'voice',
    dims: voiceDims,
    logger: o.logger.child({ sessions: 'voice' }),
  });
  collectVoice(client, voice, o.settings, o.privacy);
  voice.start();
  let activities: SessionTracker | undefined;
  if (o.config.presenceIntent) {
    activities = new SessionTracker({
      ...common,
      family: 'activities',
      dims: (field) => activityDims(field),
      logger: o.logger.child({ sessions: 'activities' }),
    });
    collectActivities(client, activities, o.privacy);
    activities.start();
  }
  o.privacy?.onOptOut((guildId, userId) => {
    const now = voice.now();
    voice.set(guildId, `${guildId}|${userId}`, undefined, now);
    activities?.setGroup(guildId, `${guildId}|${userId}|`, new Map(), now);
  });
  return {
    voice,
    activities,
    writer,
    resync() {
      const now = voice.now();
      voice.creditAll(now);
      activities?.creditAll(now);
    },
    async stop(timeoutMs = 10_000) {
      voice.stop();
      activities?.stop();
      const clean = await writer.settled(timeoutMs);
      writer.close();
      return clean;
    },
  };
}

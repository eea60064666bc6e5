// Backfill of message history, run by the cluster process that holds the guild's shard: it has the
// guild's channels and permissions from the gateway, the REST client whose share of the global limit it
// already keeps, and the live cut its own collectors record (docs/architecture.md, "Backfill").
//
// Jobs and cursors live in PostgreSQL (sql/045). Each process polls for queued or orphaned jobs of its
// guilds and runs them one at a time under a lease (one runner per guild across every process). Per
// channel it pages back from its cursor (else its cut) with `before`, 100 messages a page, through
// discord.js's REST client, which waits out per-route buckets and the global limit from Discord's headers.
// Each page is counted by the live collectors' own functions and committed with the cursor advance in one
// transaction (BackfillStore.commitPage): a restart resumes after the last committed page.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import {
  ChannelType,
  DiscordAPIError,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  Routes,
  SnowflakeUtil,
  makeURLSearchParams,
  type APIMessage,
  type Client,
  type Guild,
  type GuildTextBasedChannel,
} from 'discord.js';
import type { Config } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import { Keys, partitionOf } from '../../keys.js';
import type { Logger } from '../../logger.js';
import {
  backfillChannels,
  backfillJobs,
  backfillMessagesLoaded,
  backfillMessagesRead,
  backfillPages,
  backfillRunning,
} from '../../metrics.js';
import { dropOptedOut, refreshRollups, MEMBER_TABLES, type OptOutStore } from '../../privacy.js';
import type { RedisClient } from '../../redis.js';
import type { GuildSettingsStore } from '../../settings.js';
import { FAMILIES, type FamilyName } from '../../families.js';
import type { RawRow } from '../../raw-rows.js';
import { countAppMessage } from '../collectors/apps.js';
import { countMessageEmojis } from '../collectors/emojis.js';
import { countMentions } from '../collectors/mentions.js';
import { countMessage } from '../collectors/messages.js';
import type { EmojiNameRecorder } from '../emoji-names.js';
import { GUILD_CUT_FIELD } from './live-cut.js';
import { PageRows } from './page-rows.js';
import { BackfillStore, LostLease, type ChannelRow } from './store.js';

const PAGE = 100;
/** Text channels whose history a bot can page through (voice channels' chat is left out). */
const READABLE = new Set<ChannelType>([
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.PublicThread,
  ChannelType.AnnouncementThread,
]);
const NEEDED = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory;
/** Errors that mean "this channel cannot be read", not "try again". */
const CHANNEL_GONE = new Set<number | string>([
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.UnknownChannel,
]);

export interface BackfillRunnerOptions {
  client: Client;
  pool: Pool;
  redis: RedisClient;
  config: Config;
  logger: Logger;
  settings: GuildSettingsStore;
  privacy: OptOutStore;
  emojiNames?: EmojiNameRecorder;
}

export class BackfillRunner {
  private readonly store: BackfillStore;
  private readonly keys: Keys;
  private readonly owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private current: { guildId: string; stop: boolean } | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: BackfillRunnerOptions) {
    this.store = new BackfillStore(o.pool);
    this.keys = new Keys(o.config.redisKeyPrefix);
    this.log = o.logger.child({ component: 'backfill' });
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.o.config.backfillPollMs);
    this.timer.unref();
  }

  /** Stops after the page in flight and hands the lease back, so a restart resumes at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.current) this.current.stop = true;
    await this.polling;
  }

  /** One look for claimable jobs of this process's guilds; runs them one after another. */
  poll(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = (async () => {
      try {
        if (!this.o.client.isReady()) return;
        for (const guildId of await this.store.claimable([...this.o.client.guilds.cache.keys()])) {
          const guild = this.o.client.guilds.cache.get(guildId);
          if (this.stopped) return;
          if (guild) await this.run(guild);
        }
      } catch (err) {
        this.log.warn({ err }, 'backfill poll failed; trying again at the next one');
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async run(guild: Guild): Promise<void> {
    const claim = await this.store.acquire(
      guild.id,
      this.owner,
      this.o.config.backfillLeaseMs,
      this.o.config.backfillDays,
    );
    if (!claim) return;
    const job = { guildId: guild.id, stop: false };
    this.current = job;
    backfillRunning.inc();
    const since = claim.since.getTime();
    this.log.info({ guild: guild.id, fresh: claim.fresh, since: claim.since.toISOString() }, 'backfill started');
    try {
      if (claim.fresh) await this.store.reopenChannels(guild.id);
      await this.listChannels(guild);
      for (const row of await this.store.channels(guild.id)) {
        if (job.stop) break;
        if (row.state === 'pending') await this.channel(guild, row, since, job);
      }
      if (job.stop) {
        await this.store.release(guild.id, this.owner);
        return;
      }
      // TimescaleDB's continuous aggregates only refresh recent windows on their own.
      const to = new Date().toISOString();
      await refreshRollups(
        this.o.pool,
        MEMBER_TABLES.filter((t) =>
          ['messages_raw', 'emojis_raw', 'mentions_raw', 'app_commands_raw'].includes(t.table),
        ).map((t) => ({ rollups: t.rollups, from: new Date(since).toISOString(), to })),
      );
      await this.store.finish(guild.id, this.owner, 'done');
      backfillJobs.inc({ outcome: 'done' });
      this.log.info({ guild: guild.id }, 'backfill done');
    } catch (err) {
      if (err instanceof LostLease) {
        backfillJobs.inc({ outcome: 'lost_lease' });
        this.log.warn({ guild: guild.id, err: err.message }, 'backfill lease lost; another runner continues');
      } else {
        // Left running with the lease expiring: the next poll (here or elsewhere) resumes from the cursors.
        backfillJobs.inc({ outcome: 'failed' });
        this.log.error({ guild: guild.id, err }, 'backfill interrupted; it resumes from its cursors');
        await this.store.release(guild.id, this.owner).catch(() => {});
      }
    } finally {
      backfillRunning.dec();
      this.current = undefined;
    }
  }

  /** Every readable channel and active thread gets a row with its cut; unreadable ones are marked skipped. */
  private async listChannels(guild: Guild): Promise<void> {
    const me = guild.members.me ?? (await guild.members.fetchMe());
    const channels: GuildTextBasedChannel[] = [];
    for (const c of guild.channels.cache.values()) if (READABLE.has(c.type) && c.isTextBased()) channels.push(c);
    try {
      const active = await guild.channels.fetchActiveThreads(false);
      for (const t of active.threads.values()) if (READABLE.has(t.type) && !channels.includes(t)) channels.push(t);
    } catch (err) {
      this.log.warn({ guild: guild.id, err }, 'could not list active threads; backfilling channels only');
    }
    const cutKey = this.keys.backfillCut(guild.id, partitionOf(guild.id, this.o.config.redisPartitions));
    const cuts = await this.o.redis.hgetall(cutKey);
    let guildCut = cuts[GUILD_CUT_FIELD];
    if (!guildCut) {
      // The shard's mark never reached Redis (or Redis was emptied): now is where live counting stands.
      await this.o.redis.hsetnx(cutKey, GUILD_CUT_FIELD, SnowflakeUtil.generate().toString());
      guildCut = (await this.o.redis.hget(cutKey, GUILD_CUT_FIELD))!;
    }
    for (const c of channels) {
      const parent = c.isThread() ? (c.parentId ?? '0') : '0';
      await this.store.addChannel(guild.id, c.id, parent, cuts[c.id] ?? guildCut);
      const perms = c.permissionsFor(me);
      if (!perms || (perms.bitfield & NEEDED) !== NEEDED)
        await this.store.skipChannel(guild.id, c.id, 'the bot lacks View Channel or Read Message History');
    }
  }

  /** Pages one channel back to `since` (or its first message). */
  private async channel(guild: Guild, row: ChannelRow, since: number, job: { stop: boolean }): Promise<void> {
    const channel =
      guild.channels.cache.get(row.channelId) ?? (await guild.channels.fetch(row.channelId).catch(() => null));
    if (!channel || !channel.isTextBased()) {
      await this.store.skipChannel(guild.id, row.channelId, 'the channel no longer exists');
      backfillChannels.inc({ outcome: 'skipped' });
      return;
    }
    let cursor = row.cursorId;
    for (;;) {
      if (job.stop) return;
      // Read raw, as the live collectors read MESSAGE_CREATE (src/shard/guild-messages.ts): no discord.js Messages.
      let page: APIMessage[];
      try {
        page = (await this.o.client.rest.get(Routes.channelMessages(channel.id), {
          query: makeURLSearchParams({ before: cursor ?? row.cutId, limit: PAGE }),
        })) as APIMessage[];
      } catch (err) {
        if (err instanceof DiscordAPIError && CHANNEL_GONE.has(err.code)) {
          await this.store.skipChannel(guild.id, row.channelId, `Discord refused: ${err.message}`);
          backfillChannels.inc({ outcome: 'skipped' });
          return;
        }
        throw err;
      }
      const rows = new PageRows();
      let loaded = 0;
      let oldestId: bigint | undefined;
      let oldestTs = Infinity;
      const at = { guildId: guild.id, channel };
      for (const m of page) {
        const id = BigInt(m.id);
        if (oldestId === undefined || id < oldestId) oldestId = id;
        const createdTimestamp = SnowflakeUtil.timestampFrom(m.id);
        oldestTs = Math.min(oldestTs, createdTimestamp);
        if (createdTimestamp < since) continue;
        // The live collectors' counting, one place per concept: what would have counted live counts here.
        countMessage(m, at, rows, this.o.settings, this.o.privacy);
        countMessageEmojis(m, at, rows, this.o.settings, this.o.privacy, this.o.emojiNames);
        countMentions(m, at, rows, this.o.settings, this.o.privacy);
        countAppMessage(m, at, rows, this.o.settings, this.o.privacy);
        loaded++;
      }
      const exhausted = page.length < PAGE;
      const done = exhausted || oldestTs < since;
      // Opted-out members: dropped as the ingest worker drops increments still in Redis when they opted out.
      const families: [FamilyName, RawRow[]][] = [];
      for (const [family, list] of rows.byFamily()) {
        const userDim = (FAMILIES[family].dims as readonly string[]).indexOf('user_id');
        families.push([
          family,
          await dropOptedOut(
            this.o.pool,
            list,
            (r) => r.dims[0]!,
            (r) => r.dims[userDim]!,
          ),
        ]);
      }
      const next = oldestId !== undefined ? oldestId.toString() : cursor;
      await this.store.commitPage({
        guildId: guild.id,
        channelId: row.channelId,
        owner: this.owner,
        leaseMs: this.o.config.backfillLeaseMs,
        prevCursor: cursor,
        cursor: next,
        done,
        exhausted,
        read: page.length,
        loaded,
        rows: families,
      });
      backfillPages.inc();
      backfillMessagesRead.inc(page.length);
      backfillMessagesLoaded.inc(loaded);
      cursor = next;
      if (done) {
        backfillChannels.inc({ outcome: 'done' });
        return;
      }
    }
  }

  /** The guild's backfill this process runs now, if any (tests, shutdown). */
  get running(): string | undefined {
    return this.current?.guildId;
  }
}

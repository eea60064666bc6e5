// The digest job: per guild with /digest set, after each week or month in the server's zone (plus a
// margin for the period's last minutes to be ingested), posts the digest of the last complete period to
// the chosen channel. The posted period is recorded, so a retry or a second run in the same period posts
// nothing, and a catch-up after downtime posts the latest complete period once (not every missed one).
// The record is written after the post: a crash between the two can repeat a post, never lose one.
import { DiscordAPIError, RESTJSONErrorCodes, Routes } from 'discord.js';
import { composeDigest, digestMessage } from '../../digest/compose.js';
import { lastCompletePeriod, nextPeriodStart, previousPeriod } from '../../digest/period.js';
import { DIGEST_JOB, disableDigest, getDigest, guildsWithDigest, markPosted } from '../../digest/store.js';
import { GuildSettingsStore } from '../../settings.js';
import type { JobContext, ScheduledJob } from '../job.js';
import type pg from 'pg';

/** After a period ends, wait this long before posting its digest (ingest and rollups catch up). */
export const DIGEST_DELAY_MS = 10 * 60_000;

const DISABLING: Partial<Record<number, string>> = {
  [RESTJSONErrorCodes.UnknownChannel]: 'the channel was deleted',
  [RESTJSONErrorCodes.MissingPermissions]: 'the bot may not post there (Send Messages, Attach Files)',
  [RESTJSONErrorCodes.MissingAccess]: 'the bot cannot see the channel',
};

async function settingsOf(pool: pg.Pool, ctx: Pick<JobContext, 'redis' | 'keys' | 'logger'>, guildId: string) {
  const store = new GuildSettingsStore(pool, ctx.redis, ctx.keys.prefix, ctx.logger);
  await store.load([guildId]);
  return store.get(guildId);
}

async function run(ctx: JobContext): Promise<void> {
  const cfg = await getDigest(ctx.pool, ctx.guildId);
  if (!cfg || cfg.disabledReason) return;
  const settings = await settingsOf(ctx.pool, ctx, ctx.guildId);
  const period = lastCompletePeriod(ctx.now().getTime() - DIGEST_DELAY_MS, cfg.every, settings.timeZone);
  if (cfg.lastPeriodStart && cfg.lastPeriodStart.getTime() >= period.from.getTime()) return; // posted already
  const digest = await composeDigest(ctx.pool, {
    guildId: ctx.guildId,
    period,
    previous: previousPeriod(period, cfg.every, settings.timeZone),
    timeZone: settings.timeZone,
    includeBots: settings.includeBots,
  });
  const msg = await digestMessage(digest, { every: cfg.every, timeZone: settings.timeZone, render: ctx.render });
  try {
    await ctx.rest.post(Routes.channelMessages(cfg.channelId), {
      body: {
        embeds: [msg.embed.toJSON()],
        attachments: [{ id: 0, filename: msg.fileName }],
        allowed_mentions: { parse: [] },
      },
      files: [{ name: msg.fileName, data: msg.png, contentType: 'image/png' }],
      signal: ctx.signal,
    });
  } catch (err) {
    const reason = err instanceof DiscordAPIError && typeof err.code === 'number' ? DISABLING[err.code] : undefined;
    if (!reason) throw err;
    await disableDigest(ctx.pool, ctx.guildId, reason);
    ctx.logger.info({ reason }, 'digest disabled');
    return;
  }
  await markPosted(ctx.pool, ctx.guildId, period.from);
  ctx.logger.info({ from: period.from, every: cfg.every }, 'digest posted');
}

export const digestJob: ScheduledJob = {
  name: DIGEST_JOB,
  guilds: (pool) => guildsWithDigest(pool),
  async nextRun(guildId, _last, now, pool) {
    const cfg = await getDigest(pool, guildId);
    if (!cfg) return new Date(now.getTime() + 3_600_000); // removed meanwhile; the next pass drops the row
    const { timeZone } = await settingsOfPool(pool, guildId);
    // The next boundary after the one whose digest is due now (or was just posted).
    return new Date(nextPeriodStart(now.getTime() - DIGEST_DELAY_MS, cfg.every, timeZone).getTime() + DIGEST_DELAY_MS);
  },
  run,
};

/** The guild's zone without a Redis client (nextRun gets only the pool). */
async function settingsOfPool(pool: pg.Pool, guildId: string): Promise<{ timeZone: string }> {
  const { rows } = await pool.query<{ time_zone: string }>('SELECT time_zone FROM guild_settings WHERE guild_id = $1', [
    guildId,
  ]);
  return { timeZone: rows[0]?.time_zone ?? 'UTC' };
}

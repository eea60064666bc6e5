// The counter job: per guild, fills in each enabled counter's template and renames its channel when the
// text changed, within Discord's limit of 2 renames per channel per 10 minutes. The renames of the last
// 10 minutes are kept with the counter, so a change that would exceed the limit waits (held_until, which
// brings the guild's next run forward) instead of spending a 429; should Discord refuse anyway (a rename
// by someone else, another tool), the 429's retry-after sets the wait. A deleted channel, a missing
// permission or lost access switches the counter off with the reason, shown by /counters list and posted
// to the channel the counter was added from.
import { DiscordAPIError, RateLimitError, RESTJSONErrorCodes, Routes } from 'discord.js';
import { counterValues } from '../../channel-counters/values.js';
import { parseTemplate, renderTemplate, type Variable } from '../../channel-counters/template.js';
import {
  COUNTERS_JOB,
  disableCounter,
  earliestHeld,
  guildsWithCounters,
  holdCounter,
  listCounters,
  recordRename,
  type CounterRow,
} from '../../channel-counters/store.js';
import { guildChannels } from '../../stats/structure.js';
import { GuildSettingsStore } from '../../settings.js';
import type { JobContext, ScheduledJob } from '../job.js';

/** Discord: 2 renames per channel per 10 minutes. */
export const RENAMES_PER_WINDOW = 2;
export const RENAME_WINDOW_MS = 600_000;
/** How often a guild's counters are recomputed when nothing is held back. */
export const COUNTER_REFRESH_MS = 5 * 60_000;

const DISABLING: Partial<Record<number, string>> = {
  [RESTJSONErrorCodes.UnknownChannel]: 'the channel was deleted',
  [RESTJSONErrorCodes.MissingPermissions]: 'the bot lacks the Manage Channels permission on it',
  [RESTJSONErrorCodes.MissingAccess]: 'the bot cannot see the channel',
};

async function run(ctx: JobContext): Promise<void> {
  let counters = await listCounters(ctx.pool, ctx.guildId, { enabledOnly: true });
  // A channel the shards saw deleted (CHANNEL_DELETE) is known without waiting for a rename to fail.
  const known = await guildChannels(
    ctx.pool,
    ctx.guildId,
    counters.map((c) => c.channelId),
  );
  for (const c of counters.filter((x) => known.get(x.channelId)?.deleted))
    await disable(ctx, c, DISABLING[RESTJSONErrorCodes.UnknownChannel]!);
  counters = counters.filter((x) => !known.get(x.channelId)?.deleted);
  if (counters.length === 0) return;
  const settingsStore = new GuildSettingsStore(ctx.pool, ctx.redis, ctx.keys.prefix, ctx.logger);
  await settingsStore.load([ctx.guildId]);
  const settings = settingsStore.get(ctx.guildId);
  const vars = new Set<Variable>();
  for (const c of counters) {
    const parsed = parseTemplate(c.template);
    if ('variables' in parsed) for (const v of parsed.variables) vars.add(v);
  }
  const values = await counterValues(vars, {
    guildId: ctx.guildId,
    db: ctx.pool,
    redis: ctx.redis,
    keys: ctx.keys,
    partitions: ctx.partitions,
    rest: ctx.rest,
    timeZone: settings.timeZone,
    includeBots: settings.includeBots,
    now: ctx.now(),
  });
  for (const c of counters) {
    if (ctx.signal.aborted) return;
    const name = renderTemplate(c.template, values);
    if (name === c.appliedName) {
      if (c.heldUntil) await holdCounter(ctx.pool, ctx.guildId, c.channelId, null);
      continue;
    }
    const now = ctx.now();
    const recent = c.renamedAt
      .filter((t) => t.getTime() > now.getTime() - RENAME_WINDOW_MS)
      .sort((a, b) => a.getTime() - b.getTime());
    if (recent.length >= RENAMES_PER_WINDOW) {
      await holdCounter(
        ctx.pool,
        ctx.guildId,
        c.channelId,
        new Date(recent[recent.length - RENAMES_PER_WINDOW]!.getTime() + RENAME_WINDOW_MS),
      );
      continue;
    }
    try {
      await ctx.rest.patch(Routes.channel(c.channelId), {
        body: { name },
        reason: 'Counter update (/counters)',
        signal: ctx.signal,
      });
      await recordRename(ctx.pool, ctx.guildId, c.channelId, name, [...recent, now]);
      ctx.logger.debug({ channel: c.channelId }, 'counter renamed');
    } catch (err) {
      if (err instanceof RateLimitError) {
        await holdCounter(
          ctx.pool,
          ctx.guildId,
          c.channelId,
          new Date(now.getTime() + Math.max(1_000, err.retryAfter)),
        );
        ctx.logger.info(
          { channel: c.channelId, retryAfterMs: err.retryAfter },
          'counter rename refused by the rate limit: waiting',
        );
        continue;
      }
      const reason = err instanceof DiscordAPIError && typeof err.code === 'number' ? DISABLING[err.code] : undefined;
      if (!reason) throw err;
      await disable(ctx, c, reason);
    }
  }
}

async function disable(ctx: JobContext, c: CounterRow, reason: string): Promise<void> {
  await disableCounter(ctx.pool, ctx.guildId, c.channelId, reason);
  ctx.logger.info({ channel: c.channelId, reason }, 'counter disabled');
  await notify(ctx, c.notifyChannelId, c.channelId, reason);
}

/** Tells the admins in the channel the counter was added from (best effort: /counters list shows it too). */
async function notify(
  ctx: JobContext,
  notifyChannelId: string | null,
  channelId: string,
  reason: string,
): Promise<void> {
  if (!notifyChannelId || notifyChannelId === channelId) return;
  await ctx.rest
    .post(Routes.channelMessages(notifyChannelId), {
      body: {
        content: `⚠️ The counter on <#${channelId}> is switched off: ${reason}. Fix it and add it again with \`/counters add\`.`,
        allowed_mentions: { parse: [] },
      },
    })
    .catch((err: unknown) =>
      ctx.logger.info({ err, channel: notifyChannelId }, 'could not post the disabled-counter notice'),
    );
}

export const countersJob: ScheduledJob = {
  name: COUNTERS_JOB,
  guilds: (pool) => guildsWithCounters(pool),
  async nextRun(guildId, last, now, pool) {
    if (last === null) return now; // a guild's first counter: apply it at once
    const refresh = now.getTime() + COUNTER_REFRESH_MS;
    const held = await earliestHeld(pool, guildId);
    return new Date(held ? Math.max(now.getTime() + 1_000, Math.min(refresh, held.getTime())) : refresh);
  },
  run,
};

// /digest: a weekly or monthly summary posted to a channel by the scheduler (src/scheduler/jobs/digest.ts);
// `preview` shows the current period so far against the same stretch of the previous one. Manage Server
// only; replies are ephemeral. The channel is checked (this server's, text, the bot may post a chart
// there) before anything is stored.
import {
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { composeDigest, digestMessage } from '../digest/compose.js';
import { nextPeriodStart, periodStart, previousPeriod, type Every } from '../digest/period.js';
import { DIGEST_JOB, getDigest, putDigest, removeDigest } from '../digest/store.js';
import { forgetRun, scheduleRun } from '../scheduled-runs.js';
import { botPermissionsIn, targetChannel, targetChannelOption } from './framework/channel-access.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { requireManageGuild } from './framework/permissions.js';

type Chat = ChatInputCommandInteraction<'cached'>;

/** Matches the job's delay after a period ends (src/scheduler/jobs/digest.ts), for the reply only. */
const POST_DELAY_MS = 10 * 60_000;
const DIGEST_CHANNEL_TYPES = [ChannelType.GuildText, ChannelType.GuildAnnouncement] as const;
const NEEDED =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles;

async function set(i: Chat, ctx: CommandContext): Promise<void> {
  requireManageGuild(i, 'set up the digest');
  const every = i.options.getString('every', true);
  if (every !== 'week' && every !== 'month') throw new CommandError('Choose `week` or `month`.');
  const channel = await targetChannel(i);
  if (!(DIGEST_CHANNEL_TYPES as readonly ChannelType[]).includes(channel.type))
    throw new CommandError(`<#${channel.id}> is not a text channel: the digest is a message.`);
  const perms = await botPermissionsIn(i, channel);
  if ((perms & NEEDED) !== NEEDED)
    throw new CommandError(
      `The bot needs View Channel, Send Messages, Embed Links and Attach Files in <#${channel.id}> to post the digest there.`,
    );
  await putDigest(ctx.pool, i.guildId, channel.id, every);
  // The first run lands after the current period ends (a changed cadence moves the next run either way).
  await ctx.settings.load([i.guildId]);
  const { timeZone } = ctx.settings.get(i.guildId);
  const first = nextPeriodStart(Date.now(), every, timeZone).getTime() + POST_DELAY_MS;
  await scheduleRun(ctx.pool, DIGEST_JOB, i.guildId, new Date(first));
  await i.editReply({
    content: `A ${every}ly digest will be posted in <#${channel.id}>, the first <t:${Math.floor(first / 1000)}:R> (periods in ${timeZone}). See it now with \`/digest preview\`.`,
  });
}

async function off(i: Chat, ctx: CommandContext): Promise<void> {
  requireManageGuild(i, 'turn the digest off');
  if (!(await removeDigest(ctx.pool, i.guildId))) throw new CommandError('No digest is set up here.');
  await forgetRun(ctx.pool, DIGEST_JOB, i.guildId);
  await i.editReply({ content: 'The digest is off.' });
}

async function preview(i: Chat, ctx: CommandContext): Promise<void> {
  requireManageGuild(i, 'preview the digest');
  const cfg = await getDigest(ctx.pool, i.guildId);
  const every: Every = (i.options.getString('every') as Every | null) ?? cfg?.every ?? 'week';
  await ctx.settings.load([i.guildId]);
  const { timeZone, includeBots } = ctx.settings.get(i.guildId);
  const now = Date.now();
  const from = periodStart(now, every, timeZone);
  const previous = previousPeriod({ from, to: new Date(now) }, every, timeZone);
  // The same stretch of the previous period, so the change is like for like.
  const same = {
    from: previous.from,
    to: new Date(Math.min(previous.to.getTime(), previous.from.getTime() + (now - from.getTime()))),
  };
  const digest = await composeDigest(ctx.pool, {
    guildId: i.guildId,
    period: { from, to: new Date(now) },
    previous: same,
    timeZone,
    includeBots,
  });
  const msg = await digestMessage(digest, {
    every,
    timeZone,
    render: ctx.render,
    title: `Digest preview: this ${every} so far`,
  });
  const state = cfg
    ? cfg.disabledReason
      ? `⚠️ The digest is switched off: ${cfg.disabledReason}. Set it again with \`/digest set\`.`
      : `Posted ${cfg.every}ly in <#${cfg.channelId}>.`
    : 'No digest is set up yet: `/digest set`.';
  await i.editReply({ content: state, embeds: [msg.embed], files: [{ attachment: msg.png, name: msg.fileName }] });
}

export const digestCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('digest')
    .setDescription('A weekly or monthly summary posted to a channel (Manage Server)')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((s) =>
      s
        .setName('set')
        .setDescription('Post a digest to a channel after every week or month')
        .addChannelOption(targetChannelOption('Text channel', DIGEST_CHANNEL_TYPES))
        .addStringOption((o) =>
          o
            .setName('every')
            .setDescription('Cadence, in the server’s time zone')
            .setRequired(true)
            .addChoices({ name: 'week (from Monday)', value: 'week' }, { name: 'month', value: 'month' }),
        ),
    )
    .addSubcommand((s) => s.setName('off').setDescription('Stop posting the digest'))
    .addSubcommand((s) =>
      s
        .setName('preview')
        .setDescription('The digest of the current period so far')
        .addStringOption((o) =>
          o
            .setName('every')
            .setDescription('Cadence (default: the one set)')
            .addChoices({ name: 'week', value: 'week' }, { name: 'month', value: 'month' }),
        ),
    )
    .toJSON(),
  ephemeral: true,
  cooldownMs: 2_000,
  handlers: { set, off, preview },
};

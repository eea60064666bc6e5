// /counters: bind a voice or category channel's name to a template (`👥 Members: {members}`) that the
// scheduler keeps current (src/scheduler/jobs/counters.ts). Manage Server only; replies are ephemeral.
// Everything is checked before anything is stored: the template (known variables, at most 100
// characters), the channel (this server's, voice/stage or category, visible to the bot) and the bot's
// Manage Channels permission on it.
import {
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import {
  COUNTERS_JOB,
  listCounters,
  MAX_COUNTERS_PER_GUILD,
  putCounter,
  removeCounter,
} from '../channel-counters/store.js';
import { parseTemplate, VARIABLES } from '../channel-counters/template.js';
import { forgetRun, requestRun } from '../scheduled-runs.js';
import type { Command } from './framework/command.js';
import { CommandError, quoted } from './framework/context.js';
import { botPermissionsIn, targetChannel, targetChannelOption } from './framework/channel-access.js';
import { requireManageGuild } from './framework/permissions.js';

type Chat = ChatInputCommandInteraction<'cached'>;

const COUNTER_CHANNEL_TYPES = [ChannelType.GuildVoice, ChannelType.GuildStageVoice, ChannelType.GuildCategory] as const;

async function add(i: Chat, ctx: Parameters<Command['handlers'][string]>[1]): Promise<void> {
  requireManageGuild(i, 'manage counters');
  const template = i.options.getString('template', true);
  const parsed = parseTemplate(template);
  if ('error' in parsed) throw new CommandError(parsed.error);
  const channel = await targetChannel(i);
  if (!(COUNTER_CHANNEL_TYPES as readonly ChannelType[]).includes(channel.type)) {
    throw new CommandError(
      `<#${channel.id}> is a text channel: counters go on voice channels or categories, whose names can hold spaces and emoji and which members cannot post in.`,
    );
  }
  const perms = await botPermissionsIn(i, channel);
  if (!(perms & PermissionFlagsBits.ViewChannel))
    throw new CommandError(`The bot cannot see <#${channel.id}>: give it the View Channel permission there.`);
  if (!(perms & PermissionFlagsBits.ManageChannels))
    throw new CommandError(`The bot needs the Manage Channels permission on <#${channel.id}> to rename it.`);
  const outcome = await putCounter(ctx.pool, i.guildId, channel.id, template, i.channelId);
  if (outcome === 'full')
    throw new CommandError(
      `This server already has ${MAX_COUNTERS_PER_GUILD} counters; remove one first (\`/counters remove\`).`,
    );
  await requestRun(ctx.pool, COUNTERS_JOB, i.guildId);
  await i.editReply({
    content: `${outcome === 'added' ? 'Counter added' : 'Counter replaced'} on <#${channel.id}>: \`${template.replace(/`/g, "'")}\`. Its name updates within a minute, then whenever the value changes (Discord allows 2 renames per channel per 10 minutes).`,
  });
}

async function remove(i: Chat, ctx: Parameters<Command['handlers'][string]>[1]): Promise<void> {
  requireManageGuild(i, 'manage counters');
  const id = String(i.options.get('channel', true).value);
  if (!(await removeCounter(ctx.pool, i.guildId, id))) throw new CommandError(`<#${id}> has no counter.`);
  if ((await listCounters(ctx.pool, i.guildId, { enabledOnly: true })).length === 0)
    await forgetRun(ctx.pool, COUNTERS_JOB, i.guildId);
  await i.editReply({ content: `Counter removed from <#${id}>; the channel keeps its current name.` });
}

async function list(i: Chat, ctx: Parameters<Command['handlers'][string]>[1]): Promise<void> {
  requireManageGuild(i, 'view counters');
  const rows = await listCounters(ctx.pool, i.guildId);
  if (rows.length === 0) {
    await i.editReply({
      content: 'No counters yet. Add one with `/counters add`, e.g. template `👥 Members: {members}`.',
    });
    return;
  }
  const lines = rows.map((c) => {
    const state = c.disabledReason
      ? `⚠️ switched off: ${c.disabledReason}`
      : c.heldUntil
        ? `waiting for Discord's rename limit until <t:${Math.ceil(c.heldUntil.getTime() / 1000)}:t>`
        : c.appliedName
          ? `shows ${quoted(c.appliedName)}`
          : 'first update pending';
    return `<#${c.channelId}> \`${c.template.replace(/`/g, "'")}\` — ${state}`;
  });
  await i.editReply({
    content: `**Counters** (${rows.length}/${MAX_COUNTERS_PER_GUILD})\n${lines.join('\n')}`.slice(0, 2000),
  });
}

export const countersCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('counters')
    .setDescription('Channel names that show live numbers (Manage Server)')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Keep a voice channel or category named after a template')
        .addChannelOption(targetChannelOption('Voice channel or category', COUNTER_CHANNEL_TYPES))
        .addStringOption((o) =>
          o
            .setName('template')
            .setDescription(
              `e.g. 👥 Members: {members}; variables: ${Object.keys(VARIABLES)
                .slice(0, 4)
                .map((v) => `{${v}}`)
                .join(' ')} …`.slice(0, 100),
            )
            .setRequired(true),
        ),
    )
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Stop updating a channel’s name')
        .addChannelOption((o) => o.setName('channel').setDescription('The counter’s channel').setRequired(true)),
    )
    .addSubcommand((s) => s.setName('list').setDescription('Counters of this server and their state'))
    .toJSON(),
  ephemeral: true,
  cooldownMs: 1_000,
  handlers: { add, remove, list },
};

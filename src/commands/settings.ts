// /settings: an admin views and changes the guild's settings (time zone, bots, excluded channels, who
// sees per-member stats). Manage Server only; changes reach every shard process over pub/sub
// (GuildSettingsStore). Replies are ephemeral.
import {
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { GuildSettings } from '../settings.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { requireManageGuild } from './framework/permissions.js';
import { resolveTimeZone, suggestTimeZones, timeZoneNames } from './framework/time-zones.js';

type Chat = ChatInputCommandInteraction<'cached'>;

export function describeSettings(s: Readonly<GuildSettings>): string {
  const channels = s.excludedChannels.length === 0 ? 'none' : s.excludedChannels.map((c) => `<#${c}>`).join(', ');
  return [
    `**Time zone:** ${s.timeZone}`,
    `**Count bots' messages:** ${s.includeBots ? 'on' : 'off'}`,
    `**Excluded channels:** ${channels}`,
    `**Other members' stats visible to:** ${s.memberStatsManagersOnly ? 'Administrator and Manage Server' : 'Administrator, Manage Server and View Server Insights'}; every member always sees their own`,
  ].join('\n');
}

async function change(i: Chat, ctx: CommandContext, patch: Partial<GuildSettings>, said: string): Promise<void> {
  requireManageGuild(i, 'change the settings');
  // Start from what is stored, not this process's cache: another process may have changed it.
  await ctx.settings.load([i.guildId]);
  const next = await ctx.settings.update(i.guildId, patch);
  await i.editReply({ content: `${said}\n\n${describeSettings(next)}` });
}

export const settings: Command = {
  data: new SlashCommandBuilder()
    .setName('settings')
    .setDescription('View or change how this server is counted (Manage Server)')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addSubcommand((s) => s.setName('view').setDescription('Show the current settings'))
    .addSubcommand((s) =>
      s
        .setName('timezone')
        .setDescription('Time zone for days and hours in charts')
        .addStringOption((o) =>
          o.setName('zone').setDescription('IANA name, e.g. Europe/Berlin').setRequired(true).setAutocomplete(true),
        ),
    )
    .addSubcommand((s) =>
      s
        .setName('bots')
        .setDescription("Count bots' messages")
        .addBooleanOption((o) => o.setName('include').setDescription('On: bots count like members').setRequired(true)),
    )
    .addSubcommand((s) =>
      s
        .setName('exclude-channel')
        .setDescription('Stop counting a channel (and its threads) from now on')
        .addChannelOption((o) =>
          o
            .setName('channel')
            .setDescription('Channel')
            .setRequired(true)
            .addChannelTypes(
              ChannelType.GuildText,
              ChannelType.GuildVoice,
              ChannelType.GuildAnnouncement,
              ChannelType.GuildForum,
              ChannelType.GuildStageVoice,
            ),
        ),
    )
    .addSubcommand((s) =>
      s
        .setName('include-channel')
        .setDescription('Count an excluded channel again from now on')
        .addChannelOption((o) => o.setName('channel').setDescription('Channel').setRequired(true)),
    )
    .addSubcommand((s) =>
      s
        .setName('member-stats')
        .setDescription("Who may see other members' statistics (within Discord's policy)")
        .addStringOption((o) =>
          o
            .setName('visible-to')
            .setDescription('Discord allows at most Administrator, Manage Server and View Server Insights')
            .setRequired(true)
            .addChoices(
              { name: 'insights: Administrator, Manage Server, View Server Insights', value: 'insights' },
              { name: 'managers: Administrator, Manage Server', value: 'managers' },
            ),
        ),
    )
    .toJSON(),
  ephemeral: true,
  cooldownMs: 1_000,
  handlers: {
    async view(i, ctx) {
      requireManageGuild(i, 'view the settings');
      await ctx.settings.load([i.guildId]);
      await i.editReply({ content: describeSettings(ctx.settings.get(i.guildId)) });
    },
    async timezone(i, ctx) {
      requireManageGuild(i, 'change the settings');
      const typed = i.options.getString('zone', true);
      const zone = await resolveTimeZone(ctx.pool, typed);
      if (!zone)
        throw new CommandError(
          `"${typed.slice(0, 64)}" is not a time zone. Use an IANA name such as Europe/Berlin or Asia/Kolkata.`,
        );
      await change(i, ctx, { timeZone: zone }, `Time zone set to **${zone}**.`);
    },
    async bots(i, ctx) {
      const include = i.options.getBoolean('include', true);
      await change(
        i,
        ctx,
        { includeBots: include },
        include ? "Bots' messages are counted from now on." : "Bots' messages are no longer counted.",
      );
    },
    async 'exclude-channel'(i, ctx) {
      const channel = i.options.getChannel('channel', true);
      requireManageGuild(i, 'change the settings');
      await ctx.settings.load([i.guildId]);
      const current = ctx.settings.get(i.guildId).excludedChannels;
      if (current.includes(channel.id)) throw new CommandError(`<#${channel.id}> is already excluded.`);
      if (current.length >= 100) throw new CommandError('At most 100 channels can be excluded.');
      await change(
        i,
        ctx,
        { excludedChannels: [...current, channel.id] },
        `<#${channel.id}> is no longer counted from now on.`,
      );
    },
    async 'include-channel'(i, ctx) {
      const channel = i.options.getChannel('channel', true);
      requireManageGuild(i, 'change the settings');
      await ctx.settings.load([i.guildId]);
      const current = ctx.settings.get(i.guildId).excludedChannels;
      if (!current.includes(channel.id)) throw new CommandError(`<#${channel.id}> is not excluded.`);
      await change(
        i,
        ctx,
        { excludedChannels: current.filter((c) => c !== channel.id) },
        `<#${channel.id}> is counted again from now on.`,
      );
    },
    async 'member-stats'(i, ctx) {
      const managersOnly = i.options.getString('visible-to', true) === 'managers';
      await change(
        i,
        ctx,
        { memberStatsManagersOnly: managersOnly },
        `Other members' statistics are now visible to ${managersOnly ? 'Administrator and Manage Server' : 'Administrator, Manage Server and View Server Insights'} (each member always sees their own).`,
      );
    },
  },
  async autocomplete(i: AutocompleteInteraction<'cached'>, ctx: CommandContext) {
    const focused = i.options.getFocused(true);
    if (focused.name !== 'zone') return i.respond([]);
    await i.respond(
      suggestTimeZones(await timeZoneNames(ctx.pool), String(focused.value)).map((z) => ({ name: z, value: z })),
    );
  },
};

// Our own application command uses (the apps family): counted from the interaction itself, by whichever
// process receives it — a shard in gateway mode, the interactions service in HTTP mode — never both.
// The command is its name with subcommand group and subcommand joined by spaces ("stats server").
import { Events, type Client, type CommandInteraction } from 'discord.js';
import type { CounterWriter } from './counters.js';
import { minuteOf, textDim } from './families.js';
import { gatewayEvents } from './metrics.js';
import type { Tracking } from './privacy.js';
import { isExcluded, type GuildSettingsStore } from './settings.js';

export const UNKNOWN_COMMAND = '(unknown)';

/** "name", "name sub" or "name group sub" for chat input; the name for context menus. */
export function commandKey(interaction: CommandInteraction): string {
  const parts = [interaction.commandName];
  if (interaction.isChatInputCommand()) {
    const group = interaction.options.getSubcommandGroup(false);
    const sub = interaction.options.getSubcommand(false);
    if (group) parts.push(group);
    if (sub) parts.push(sub);
  }
  return textDim(parts.join(' ')) ?? UNKNOWN_COMMAND;
}

/** Counts every application command interaction `client` emits (chat input, user and message menus). */
export function recordCommandUses(
  client: Client,
  counters: CounterWriter,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isCommand() || !interaction.inGuild()) return;
    gatewayEvents.inc({ type: 'INTERACTION_CREATE', shard: interaction.guild?.shardId ?? -1 });
    const { guildId, channelId, applicationId } = interaction;
    // Excluded channels and opted-out members are not counted.
    if (
      !channelId ||
      (settings !== undefined && isExcluded(settings.get(guildId), channelId)) ||
      (privacy !== undefined && !privacy.tracked(guildId, interaction.user.id))
    )
      return;
    counters.add(
      'apps',
      guildId,
      minuteOf(interaction.createdTimestamp),
      [guildId, channelId, interaction.user.id, applicationId, commandKey(interaction)],
      [1],
    );
  });
}

// Application command uses per minute × guild × channel × user × application × command.
// Ours: INTERACTION_CREATE of application commands, in gateway mode (src/command-uses.ts; the interactions
// service counts them in HTTP mode).
// Other apps': their original response messages carry interaction metadata. Those come from bots, so the
// messages family drops them, but here they count, for the invoking user (not the bot). Follow-ups
// (original_response_message_id set) and component/modal responses are not new command uses, and our
// own responses are already counted from INTERACTION_CREATE. Ephemeral responses are never dispatched to
// other bots, so those uses stay invisible.
import { Events, InteractionType, type Client, type Message } from 'discord.js';
import { recordCommandUses, UNKNOWN_COMMAND } from '../../command-uses.js';
import { minuteOf, textDim } from '../../families.js';
import type { Tracking } from '../../privacy.js';
import { isExcluded, type GuildSettingsStore } from '../../settings.js';
import type { CounterSink, CounterWriter } from '../../counters.js';

/** What another app's message says about the command use it answers, or undefined when it is none. */
export function appCommandUse(
  message: Message<true>,
  ownApplicationId: string | undefined,
): { applicationId: string; userId: string; command: string } | undefined {
  const meta = message.interactionMetadata;
  const legacy = message.interaction;
  if (!meta && !legacy) return undefined;
  if ((meta ?? legacy)!.type !== InteractionType.ApplicationCommand) return undefined;
  if (meta?.originalResponseMessageId) return undefined;
  const applicationId = message.applicationId ?? message.author.id;
  if (applicationId === ownApplicationId || message.author.id === message.client.user.id) return undefined;
  const userId = meta?.user.id ?? legacy?.user.id;
  if (!userId) return undefined;
  const command = (legacy?.commandName && textDim(legacy.commandName)) || UNKNOWN_COMMAND;
  return { applicationId, userId, command };
}

/** Another app's command use that one message shows, live (MESSAGE_CREATE) or read back from history (src/shard/backfill). */
export function countAppMessage(
  message: Message<true>,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  const use = appCommandUse(message, message.client.application?.id);
  if (!use) return;
  // Excluded channels and opted-out members are not counted.
  if (
    (settings !== undefined && isExcluded(settings.get(message.guildId), message.channelId)) ||
    (privacy !== undefined && !privacy.tracked(message.guildId, use.userId))
  )
    return;
  counters.add(
    'apps',
    message.guildId,
    minuteOf(message.createdTimestamp),
    [message.guildId, message.channelId, use.userId, use.applicationId, use.command],
    [1],
  );
}

export function collectApps(
  client: Client,
  counters: CounterWriter,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  recordCommandUses(client, counters, settings, privacy);

  client.on(Events.MessageCreate, (message) => {
    if (message.inGuild()) countAppMessage(message, counters, settings, privacy);
  });
}

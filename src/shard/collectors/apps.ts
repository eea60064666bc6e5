// Application command uses per minute × guild × channel × user × application × command.
// Ours: INTERACTION_CREATE of application commands, in gateway mode (src/command-uses.ts; the interactions
// service counts them in HTTP mode).
// Other apps': their original response messages carry interaction metadata. Those come from bots, so the
// messages family drops them, but here they count, for the invoking user (not the bot). Follow-ups
// (original_response_message_id set) and component/modal responses are not new command uses, and our
// own responses are already counted from INTERACTION_CREATE. Ephemeral responses are never dispatched to
// other bots, so those uses stay invisible.
import { InteractionType, SnowflakeUtil, type Client } from 'discord.js';
import { recordCommandUses, UNKNOWN_COMMAND } from '../../command-uses.js';
import { minuteOf, textDim } from '../../families.js';
import type { Tracking } from '../../privacy.js';
import { isExcluded, type GuildSettingsStore } from '../../settings.js';
import type { CounterSink, CounterWriter } from '../../counters.js';
import type { GuildMessages, MessagePlace, RawMessage } from '../guild-messages.js';

/** What another app's message says about the command use it answers, or undefined when it is none. */
export function appCommandUse(
  message: RawMessage,
  own: { applicationId: string | undefined; userId: string | undefined },
): { applicationId: string; userId: string; command: string } | undefined {
  const meta = message.interaction_metadata;
  const legacy = message.interaction;
  if (!meta && !legacy) return undefined;
  if ((meta ?? legacy)!.type !== InteractionType.ApplicationCommand) return undefined;
  if (meta && 'original_response_message_id' in meta && meta.original_response_message_id) return undefined;
  const applicationId = message.application_id ?? message.author.id;
  if (applicationId === own.applicationId || message.author.id === own.userId) return undefined;
  const userId = meta?.user.id ?? legacy?.user.id;
  if (!userId) return undefined;
  const command = (legacy?.name && textDim(legacy.name)) || UNKNOWN_COMMAND;
  return { applicationId, userId, command };
}

/** Another app's command use that one message shows, live (MESSAGE_CREATE) or read back from history (src/shard/backfill). */
export function countAppMessage(
  message: RawMessage,
  at: MessagePlace,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  const client = at.channel.client;
  const use = appCommandUse(message, { applicationId: client.application?.id, userId: client.user.id });
  if (!use) return;
  const { guildId } = at;
  // Excluded channels and opted-out members are not counted.
  if (
    (settings !== undefined && isExcluded(settings.get(guildId), message.channel_id)) ||
    (privacy !== undefined && !privacy.tracked(guildId, use.userId))
  )
    return;
  counters.add(
    'apps',
    guildId,
    minuteOf(SnowflakeUtil.timestampFrom(message.id)),
    [guildId, message.channel_id, use.userId, use.applicationId, use.command],
    [1],
  );
}

export function collectApps(
  client: Client,
  messages: GuildMessages,
  counters: CounterWriter,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  recordCommandUses(client, counters, settings, privacy);
  messages.on('apps', (message, at) => countAppMessage(message, at, counters, settings, privacy));
}

// Which gateway intent gates which dispatch, so the simulator sends only what the client asked for
// (events/gateway.mdx, "List of Intents"), and which intents are privileged.
import { ApplicationFlags, GatewayDispatchEvents as E, GatewayIntentBits as I } from 'discord-api-types/v10';

const BY_EVENT = new Map<string, number>();
const gate = (intent: number, events: E[]) => events.forEach((e) => BY_EVENT.set(e, intent));
gate(I.Guilds, [
  E.GuildCreate,
  E.GuildUpdate,
  E.GuildDelete,
  E.GuildRoleCreate,
  E.GuildRoleUpdate,
  E.GuildRoleDelete,
  E.ChannelCreate,
  E.ChannelUpdate,
  E.ChannelDelete,
  E.ChannelPinsUpdate,
  E.ThreadCreate,
  E.ThreadUpdate,
  E.ThreadDelete,
  E.ThreadListSync,
  E.ThreadMemberUpdate,
  E.StageInstanceCreate,
  E.StageInstanceUpdate,
  E.StageInstanceDelete,
]);
gate(I.GuildMembers, [E.GuildMemberAdd, E.GuildMemberUpdate, E.GuildMemberRemove, E.ThreadMembersUpdate]);
gate(I.GuildModeration, [E.GuildAuditLogEntryCreate, E.GuildBanAdd, E.GuildBanRemove]);
gate(I.GuildExpressions, [
  E.GuildEmojisUpdate,
  E.GuildStickersUpdate,
  E.GuildSoundboardSoundCreate,
  E.GuildSoundboardSoundUpdate,
  E.GuildSoundboardSoundDelete,
  E.GuildSoundboardSoundsUpdate,
]);
gate(I.GuildIntegrations, [E.GuildIntegrationsUpdate, E.IntegrationCreate, E.IntegrationUpdate, E.IntegrationDelete]);
gate(I.GuildWebhooks, [E.WebhooksUpdate]);
gate(I.GuildInvites, [E.InviteCreate, E.InviteDelete]);
gate(I.GuildVoiceStates, [E.VoiceStateUpdate, E.VoiceChannelEffectSend]);
gate(I.GuildPresences, [E.PresenceUpdate]);
gate(I.GuildMessages, [E.MessageCreate, E.MessageUpdate, E.MessageDelete, E.MessageDeleteBulk]);
gate(I.GuildMessageReactions, [
  E.MessageReactionAdd,
  E.MessageReactionRemove,
  E.MessageReactionRemoveAll,
  E.MessageReactionRemoveEmoji,
]);
gate(I.GuildMessageTyping, [E.TypingStart]);
gate(I.GuildScheduledEvents, [
  E.GuildScheduledEventCreate,
  E.GuildScheduledEventUpdate,
  E.GuildScheduledEventDelete,
  E.GuildScheduledEventUserAdd,
  E.GuildScheduledEventUserRemove,
]);
gate(I.AutoModerationConfiguration, [
  E.AutoModerationRuleCreate,
  E.AutoModerationRuleUpdate,
  E.AutoModerationRuleDelete,
]);
gate(I.AutoModerationExecution, [E.AutoModerationActionExecution]);
gate(I.GuildMessagePolls, [E.MessagePollVoteAdd, E.MessagePollVoteRemove]);

/** Intent a guild dispatch needs, or 0 when it is always sent (READY, INTERACTION_CREATE, unknown events). */
export function intentFor(event: string): number {
  return BY_EVENT.get(event) ?? 0;
}

/** Every intent bit Discord defines; IDENTIFY with any other bit is closed with 4013. */
export const KNOWN_INTENTS = Object.values(I)
  .filter((v): v is number => typeof v === 'number')
  .reduce((a, b) => a | b, 0);

/** The privileged intents (events/gateway.mdx, "Privileged Intents"). */
export type PrivilegedIntent = 'guildMembers' | 'guildPresences' | 'messageContent';

/** Privileged intents an application's flags enable (either the verified or the "limited" flag of each). */
export function enabledPrivilegedIntents(flags: number): number {
  let intents = 0;
  if (flags & (ApplicationFlags.GatewayGuildMembers | ApplicationFlags.GatewayGuildMembersLimited))
    intents |= I.GuildMembers;
  if (flags & (ApplicationFlags.GatewayPresence | ApplicationFlags.GatewayPresenceLimited)) intents |= I.GuildPresences;
  if (flags & (ApplicationFlags.GatewayMessageContent | ApplicationFlags.GatewayMessageContentLimited))
    intents |= I.MessageContent;
  return intents;
}

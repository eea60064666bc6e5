// Which gateway intent gates which dispatch, so the simulator sends only what the client asked for.

export const Intent = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildModeration: 1 << 2,
  GuildExpressions: 1 << 3,
  GuildIntegrations: 1 << 4,
  GuildWebhooks: 1 << 5,
  GuildInvites: 1 << 6,
  GuildVoiceStates: 1 << 7,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  MessageContent: 1 << 15,
  GuildScheduledEvents: 1 << 16,
  AutoModerationConfiguration: 1 << 20,
  AutoModerationExecution: 1 << 21,
  GuildMessagePolls: 1 << 24,
} as const;

const BY_EVENT: Record<string, number> = {};
const gate = (intent: number, events: string[]) => events.forEach((e) => (BY_EVENT[e] = intent));
gate(Intent.Guilds, [
  'GUILD_CREATE', 'GUILD_UPDATE', 'GUILD_DELETE', 'GUILD_ROLE_CREATE', 'GUILD_ROLE_UPDATE', 'GUILD_ROLE_DELETE',
  'CHANNEL_CREATE', 'CHANNEL_UPDATE', 'CHANNEL_DELETE', 'CHANNEL_PINS_UPDATE', 'THREAD_CREATE', 'THREAD_UPDATE',
  'THREAD_DELETE', 'THREAD_LIST_SYNC', 'THREAD_MEMBER_UPDATE', 'STAGE_INSTANCE_CREATE', 'STAGE_INSTANCE_UPDATE',
  'STAGE_INSTANCE_DELETE',
]);
gate(Intent.GuildMembers, ['GUILD_MEMBER_ADD', 'GUILD_MEMBER_UPDATE', 'GUILD_MEMBER_REMOVE', 'THREAD_MEMBERS_UPDATE']);
gate(Intent.GuildModeration, ['GUILD_AUDIT_LOG_ENTRY_CREATE', 'GUILD_BAN_ADD', 'GUILD_BAN_REMOVE']);
gate(Intent.GuildExpressions, [
  'GUILD_EMOJIS_UPDATE', 'GUILD_STICKERS_UPDATE', 'GUILD_SOUNDBOARD_SOUND_CREATE', 'GUILD_SOUNDBOARD_SOUND_UPDATE',
  'GUILD_SOUNDBOARD_SOUND_DELETE', 'GUILD_SOUNDBOARD_SOUNDS_UPDATE',
]);
gate(Intent.GuildIntegrations, ['GUILD_INTEGRATIONS_UPDATE', 'INTEGRATION_CREATE', 'INTEGRATION_UPDATE', 'INTEGRATION_DELETE']);
gate(Intent.GuildWebhooks, ['WEBHOOKS_UPDATE']);
gate(Intent.GuildInvites, ['INVITE_CREATE', 'INVITE_DELETE']);
gate(Intent.GuildVoiceStates, ['VOICE_STATE_UPDATE', 'VOICE_CHANNEL_EFFECT_SEND']);
gate(Intent.GuildPresences, ['PRESENCE_UPDATE']);
gate(Intent.GuildMessages, ['MESSAGE_CREATE', 'MESSAGE_UPDATE', 'MESSAGE_DELETE', 'MESSAGE_DELETE_BULK']);
gate(Intent.GuildMessageReactions, [
  'MESSAGE_REACTION_ADD', 'MESSAGE_REACTION_REMOVE', 'MESSAGE_REACTION_REMOVE_ALL', 'MESSAGE_REACTION_REMOVE_EMOJI',
]);
gate(Intent.GuildMessageTyping, ['TYPING_START']);
gate(Intent.GuildScheduledEvents, [
  'GUILD_SCHEDULED_EVENT_CREATE', 'GUILD_SCHEDULED_EVENT_UPDATE', 'GUILD_SCHEDULED_EVENT_DELETE',
  'GUILD_SCHEDULED_EVENT_USER_ADD', 'GUILD_SCHEDULED_EVENT_USER_REMOVE',
]);
gate(Intent.AutoModerationConfiguration, [
  'AUTO_MODERATION_RULE_CREATE', 'AUTO_MODERATION_RULE_UPDATE', 'AUTO_MODERATION_RULE_DELETE',
]);
gate(Intent.AutoModerationExecution, ['AUTO_MODERATION_ACTION_EXECUTION']);
gate(Intent.GuildMessagePolls, ['MESSAGE_POLL_VOTE_ADD', 'MESSAGE_POLL_VOTE_REMOVE']);

/** Intent a guild dispatch needs, or 0 when it is always sent (READY, INTERACTION_CREATE, unknown events). */
export function intentFor(event: string): number {
  return BY_EVENT[event] ?? 0;
}

export const PRIVILEGED_INTENTS = Intent.GuildMembers | Intent.GuildPresences | Intent.MessageContent;

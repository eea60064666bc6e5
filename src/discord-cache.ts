// The caches a discord.js client of the bot keeps: no messages, presences, reactions, invites or thread
// members, and of members and users only the bot's own. Collectors read what a dispatch carries and
// commands fetch what they show, so memory does not grow with a server's size (docs/architecture.md, invariant 3).
// Shared by the shards' gateway clients and the interactions service's REST-only client.
import { Options, type CacheWithLimitsOptions } from 'discord.js';

export const BOT_CACHE_LIMITS = {
  ...Options.DefaultMakeCacheSettings,
  MessageManager: 0,
  PresenceManager: 0,
  ReactionManager: 0,
  GuildMessageManager: 0,
  ThreadMemberManager: 0,
  GuildInviteManager: 0,
  GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user.id },
  UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user.id },
} satisfies CacheWithLimitsOptions;

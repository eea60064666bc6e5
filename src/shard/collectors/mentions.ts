// MESSAGE_CREATE → mentions per minute × guild × author × target × kind, from the ids Discord lists in the
// message (mentions, mention_roles, mention_everyone), never from its text: a reply is a mention only when
// Discord lists the replied-to author (the reply pinged them). Members' messages only (bots and webhooks
// never count here), in counted channels; an opted-out author's mentions and mentions of an opted-out
// member are not recorded.
import { SnowflakeUtil } from 'discord.js';
import { minuteOf } from '../../families.js';
import type { Tracking } from '../../privacy.js';
import { isExcluded, type GuildSettingsStore } from '../../settings.js';
import type { CounterSink } from '../../counters.js';
import type { GuildMessages, MessagePlace, RawMessage } from '../guild-messages.js';
import { parentOf } from './messages.js';

export function collectMentions(
  messages: GuildMessages,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  messages.on('mentions', (message, at) => countMentions(message, at, counters, settings, privacy));
}

/** One message's mentions, live (MESSAGE_CREATE) or read back from history (src/shard/backfill). */
export function countMentions(
  message: RawMessage,
  at: MessagePlace,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  if (message.webhook_id || message.author.bot) return;
  // Either list may be absent from a payload (the schema does not require them): no mentions of that kind.
  const users = (message.mentions as RawMessage['mentions'] | undefined) ?? [];
  const roles = (message.mention_roles as RawMessage['mention_roles'] | undefined) ?? [];
  const everyone = Boolean(message.mention_everyone);
  if (users.length === 0 && roles.length === 0 && !everyone) return;
  const guildId = at.guildId;
  if (settings && isExcluded(settings.get(guildId), message.channel_id, parentOf(at))) return;
  const author = message.author.id;
  if (privacy && !privacy.tracked(guildId, author)) return;
  const minute = minuteOf(SnowflakeUtil.timestampFrom(message.id));
  const add = (target: string, kind: string) =>
    counters.add('mentions', guildId, minute, [guildId, author, target, kind], [1]);
  // Each id once, in Discord's order; roles only the guild has (as discord.js's MessageMentions reads them).
  const seen = new Set<string>();
  for (const { id } of users) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (!privacy || privacy.tracked(guildId, id)) add(id, 'member');
  }
  seen.clear();
  const guildRoles = at.channel.guild.roles.cache;
  for (const id of roles) {
    if (seen.has(id) || !guildRoles.has(id)) continue;
    seen.add(id);
    add(id, 'role');
  }
  if (everyone) add('0', 'everyone');
}

// MESSAGE_CREATE → mentions per minute × guild × author × target × kind, from the ids Discord lists in the
// message (mentions, mention_roles, mention_everyone), never from its text: a reply is a mention only when
// Discord lists the replied-to author (the reply pinged them). Members' messages only (bots and webhooks
// never count here), in counted channels; an opted-out author's mentions and mentions of an opted-out
// member are not recorded.
import { Events, type Client, type Message } from 'discord.js';
import { minuteOf } from '../../families.js';
import type { Tracking } from '../../privacy.js';
import { isExcluded, type GuildSettingsStore } from '../../settings.js';
import type { CounterSink } from '../../counters.js';

export function collectMentions(
  client: Client,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  client.on(Events.MessageCreate, (message) => {
    if (message.inGuild()) countMentions(message, counters, settings, privacy);
  });
}

/** One message's mentions, live (MESSAGE_CREATE) or read back from history (src/shard/backfill). */
export function countMentions(
  message: Message<true>,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  if (message.webhookId || message.author.bot) return;
  const m = message.mentions;
  if (m.users.size === 0 && m.roles.size === 0 && !m.everyone) return;
  const parent = message.channel.isThread() ? (message.channel.parentId ?? '0') : '0';
  if (settings && isExcluded(settings.get(message.guildId), message.channelId, parent)) return;
  const guildId = message.guildId;
  const author = message.author.id;
  if (privacy && !privacy.tracked(guildId, author)) return;
  const minute = minuteOf(message.createdTimestamp);
  const add = (target: string, kind: string) =>
    counters.add('mentions', guildId, minute, [guildId, author, target, kind], [1]);
  for (const id of m.users.keys()) if (!privacy || privacy.tracked(guildId, id)) add(id, 'member');
  for (const id of m.roles.keys()) add(id, 'role');
  if (m.everyone) add('0', 'everyone');
}

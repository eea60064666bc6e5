// MESSAGE_CREATE → messages, words, attachments per minute × guild × channel × author. Bots and webhooks
// are excluded (their traffic would drown human activity); the minute is the message's own snowflake time,
// so a late or replayed dispatch still lands in the minute it was sent. A thread's messages carry its parent
// channel too, so they count for the thread and roll up to the channel it lives in.
import { Events, type Client } from 'discord.js';
import { minuteOf } from '../../families.js';
import { gatewayEvents } from '../../metrics.js';
import { countWords } from '../../text.js';
import type { CounterWriter } from '../counters.js';

export function collectMessages(client: Client, counters: CounterWriter): void {
  client.on(Events.MessageCreate, (message) => {
    if (!message.inGuild()) return;
    gatewayEvents.inc({ type: 'MESSAGE_CREATE', shard: message.guild.shardId });
    if (message.author.bot || message.webhookId) return;
    const parent = message.channel.isThread() ? (message.channel.parentId ?? '0') : '0';
    counters.add('messages', message.guildId, minuteOf(message.createdTimestamp), [message.guildId, message.channelId, parent, message.author.id], [
      1,
      countWords(message.content),
      message.attachments.size,
    ]);
  });
}

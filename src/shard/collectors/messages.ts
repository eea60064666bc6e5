// MESSAGE_CREATE → messages, words, attachments per minute × guild × channel × author. Bots and webhooks
// are excluded (their traffic would drown human activity); the minute is the message's own snowflake time,
// so a late or replayed dispatch still lands in the minute it was sent.
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
    counters.add('messages', message.guildId, minuteOf(message.createdTimestamp), [message.guildId, message.channelId, message.author.id], [
      1,
      countWords(message.content),
      message.attachments.size,
    ]);
  });
}

// MESSAGE_CREATE for the collectors, read from the raw payload: the message collectors (messages, mentions,
// emojis, apps) and the backfill's live cut read a handful of its fields, so discord.js need not build a
// Message (its author, member, mentions, embeds, attachments...) only for it to be thrown away: that was
// the largest cost of the event path (README, Benchmarks). The payload was checked by the dispatch guard
// before it gets here (dispatch-schemas.ts).
//
// discord.js still handles the dispatch itself (and builds the Message) whenever it would do more with it
// than build and discard: before ready or while it replays dispatches it queued; when the channel or guild
// is not cached (it may create a partial channel); when the message carries a thread (it caches it) or a
// forward, or shows the bot's own user anywhere (it patches client.user and the bot's member from those);
// and whenever anything listens to Events.MessageCreate. Then the collectors get the same payload with the
// channel discord.js resolved. Otherwise this does what discord.js's MessageCreateAction would leave behind
// once its caches (limited to 0 for messages, members and users: discord-cache.ts) drop the rest: a
// thread's message counts, and the channel's lastMessageId.
import {
  Events,
  Status,
  type APIMessage,
  type Client,
  type GatewayMessageCreateDispatchData,
  type GuildTextBasedChannel,
} from 'discord.js';
import type { DispatchGuard } from './dispatch-guard.js';

/** Where a message was posted: its guild and channel (a thread's parent is on the channel). */
export interface MessagePlace {
  guildId: string;
  channel: GuildTextBasedChannel;
}

/** A message as the counting functions read it: live (MESSAGE_CREATE) or a page of history (REST). */
export type RawMessage = APIMessage | GatewayMessageCreateDispatchData;

export type GuildMessageListener = (message: RawMessage, at: MessagePlace) => void;

export interface GuildMessages {
  /** `fn` gets every guild message; a throw skips only this listener (DispatchGuard.guarded). */
  on(collector: string, fn: GuildMessageListener): void;
}

interface WsInternals {
  status: Status;
  packetQueue: unknown[];
  handlePacket(packet?: { t?: unknown; d?: unknown }, shard?: unknown): boolean;
}

/** Whether discord.js would change a cache from this message beyond what route() redoes (see above). */
function needsDiscordJs(d: RawMessage, selfId: string | undefined): boolean {
  if ('thread' in d || d.message_snapshots !== undefined) return true;
  if (d.author.id === selfId) return true;
  for (const u of (d.mentions as RawMessage['mentions'] | undefined) ?? []) if (u.id === selfId) return true;
  type Metadata = { user?: { id: string }; triggering_interaction_metadata?: Metadata } | undefined;
  for (let m = d.interaction_metadata as Metadata; m; m = m.triggering_interaction_metadata)
    if (m.user?.id === selfId) return true;
  if (d.interaction?.user.id === selfId) return true;
  return d.referenced_message ? needsDiscordJs(d.referenced_message, selfId) : false;
}

/** Installs the MESSAGE_CREATE route on `client` (before DispatchGuard.protect, which then wraps it). */
export function routeGuildMessages(client: Client, guard: DispatchGuard): GuildMessages {
  const listeners: GuildMessageListener[] = [];
  const deliver = (d: RawMessage, at: MessagePlace) => {
    for (const fn of listeners) fn(d, at);
  };
  const ws = client.ws as unknown as WsInternals;
  const handle = ws.handlePacket.bind(ws);

  /** The cached channel of a message discord.js need not see, or undefined. */
  const fastChannel = (d: GatewayMessageCreateDispatchData): GuildTextBasedChannel | undefined => {
    if (ws.status !== Status.Ready || ws.packetQueue.length > 0) return undefined;
    if (d.guild_id === undefined || !client.guilds.cache.has(d.guild_id)) return undefined;
    if (client.listenerCount(Events.MessageCreate) > 0) return undefined;
    const channel = client.channels.cache.get(d.channel_id);
    if (!channel || channel.isDMBased() || !channel.isTextBased() || channel.guildId !== d.guild_id) return undefined;
    return needsDiscordJs(d, client.user?.id) ? undefined : channel;
  };

  ws.handlePacket = (packet, shard) => {
    if (packet?.t !== 'MESSAGE_CREATE' || listeners.length === 0) return handle(packet, shard);
    const d = packet.d as GatewayMessageCreateDispatchData;
    const channel = fastChannel(d);
    if (channel) {
      // What MessageCreateAction leaves on the cached channel.
      if (channel.isThread()) {
        const thread = channel as unknown as { messageCount: number; totalMessageSent: number };
        thread.messageCount++;
        thread.totalMessageSent++;
      }
      channel.lastMessageId = d.id;
      deliver(d, { guildId: d.guild_id!, channel });
      return true;
    }
    // discord.js handles it (or queues it until ready: the replay comes back through here).
    const listener = (message: { id: string; inGuild(): boolean; guildId: string | null; channel: unknown }) => {
      if (message.id === d.id && message.inGuild())
        deliver(d, { guildId: message.guildId!, channel: message.channel as GuildTextBasedChannel });
    };
    client.prependListener(Events.MessageCreate, listener);
    try {
      return handle(packet, shard);
    } finally {
      client.off(Events.MessageCreate, listener);
    }
  };

  return {
    on(collector, fn) {
      listeners.push(guard.guarded(collector, Events.MessageCreate, fn));
    },
  };
}

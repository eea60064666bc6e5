// MESSAGE_CREATE payloads for simulated chat, with Discord's MESSAGE_CONTENT gating applied per session.
import {
  EmbedType,
  InteractionType,
  MessageType,
  StickerFormatType,
  type APIAttachment,
  type MessageFlags,
  type TextChannelType,
  type APIMessageInteractionMetadata,
  type GatewayMessageCreateDispatchData,
} from 'discord-api-types/v10';
import { GatewayIntentBits } from 'discord-api-types/v10';
import { memberWithoutUserJson, userJson } from './payloads.js';
import type { SimChannel, SimGuild } from './world.js';

export interface SendMessage {
  guildId: string;
  channelId: string;
  authorId: string;
  content?: string;
  attachments?: number;
  webhook?: boolean;
  /** Creation time encoded in the id (default now). Discord only sends live messages; a past time lets
   *  demos and tests lay down history that lands in past minute buckets. */
  timestamp?: number;
  /** Emoji keys the sender put into `content` (see emoji.ts), recorded as ground truth for members'
   *  messages. Omitted: the message's emojis are not in the truth. */
  emojis?: readonly string[];
  /** Makes it an app's response to an interaction; an original command response is a use in the truth. */
  interaction?: MessageInteractionInput;
  /** Makes it a reply; Discord lists the replied-to author in `mentions` only when the reply pings them. */
  replyTo?: ReplyInput;
  /** Stickers sent with the message (`sticker_items`, at most 3 as Discord allows). */
  stickers?: number;
  /** Rich embeds the message carries (a bot's, or a link preview Discord resolved at once). */
  embeds?: number;
}

export interface ReplyInput {
  messageId: string;
  authorId: string;
  /** The "@ mention" toggle of Discord's reply box (on by default). */
  ping: boolean;
}

export interface SentMessage {
  id: string;
  /** Milliseconds since the epoch, as encoded in the id. */
  timestamp: number;
}

const ATTACHMENT_KINDS = [
  { ext: 'png', type: 'image/png', image: true },
  { ext: 'jpg', type: 'image/jpeg', image: true },
  { ext: 'gif', type: 'image/gif', image: true },
  { ext: 'mp4', type: 'video/mp4', image: false },
  { ext: 'txt', type: 'text/plain; charset=utf-8', image: false },
];

/** A bot's response to an interaction, as other bots see it (`interaction_metadata`, legacy `interaction`). */
export interface MessageInteractionInput {
  /** The interaction's id. */
  id: string;
  /** 2 application command, 3 message component. */
  type: 2 | 3;
  /** Who invoked it. */
  userId: string;
  /** Command name with subcommands; when set, the deprecated `interaction` object is sent too. */
  name?: string;
  /** 1 chat input, 2 user, 3 message context menu (application commands only). */
  commandType?: 1 | 2 | 3;
  /** Sent as the message's application_id (omitted: older payloads carry only the author). */
  applicationId?: string;
  /** Makes the message a follow-up of that original response. */
  originalResponseMessageId?: string;
  /** Component interactions: the message holding the component. */
  interactedMessageId?: string;
}

export interface MessageInput {
  id: string;
  guild: SimGuild;
  channel: SimChannel;
  authorId: string;
  content: string;
  attachments: number;
  webhook: boolean;
  timestamp: number;
  interaction?: MessageInteractionInput;
  replyTo?: ReplyInput;
  stickers?: number;
  embeds?: number;
}

export function messageCreateJson(m: MessageInput, baseUrl: string): GatewayMessageCreateDispatchData {
  const { guild, channel } = m;
  const member = guild.members.get(m.authorId);
  const author = m.webhook
    ? {
        id: m.authorId,
        username: guild.webhook.name,
        avatar: null,
        discriminator: '0000',
        bot: true,
        global_name: null,
        public_flags: 0,
        flags: 0,
      }
    : userJson(member!.user);
  // Discord resolves mentions server-side: users and roles named in the content (once each), the replied-to
  // author when the reply pings, @everyone/@here.
  const mentionIds = [
    ...new Set([
      ...[...m.content.matchAll(/<@!?(\d{17,20})>/g)].map((x) => x[1]!),
      ...(m.replyTo?.ping ? [m.replyTo.authorId] : []),
    ]),
  ];
  const mentionRoles = [...new Set([...m.content.matchAll(/<@&(\d{17,20})>/g)].map((x) => x[1]!))].filter((id) =>
    guild.roles.some((r) => r.id === id),
  );
  const mentions = mentionIds.flatMap((id) => {
    const mm = guild.members.get(id);
    return mm ? [{ ...userJson(mm.user), member: memberWithoutUserJson(mm) }] : [];
  });
  const attachments = Array.from({ length: m.attachments }, (_, i): APIAttachment => {
    const kind = ATTACHMENT_KINDS[(Number(BigInt(m.id) % 5n) + i) % ATTACHMENT_KINDS.length]!;
    const id = (BigInt(m.id) + BigInt(i) + 1n).toString();
    const filename = `file${i}.${kind.ext}`;
    return {
      id,
      filename,
      size: 1024 * (i + 3),
      url: `${baseUrl}/${m.channel.id}/${id}/${filename}`,
      proxy_url: `${baseUrl}/${m.channel.id}/${id}/${filename}`,
      content_type: kind.type,
      ...(kind.image ? { width: 640, height: 480 } : {}),
    };
  });
  const j: GatewayMessageCreateDispatchData = {
    id: m.id,
    type: MessageType.Default,
    channel_id: channel.id,
    channel_type: channel.type as TextChannelType,
    guild_id: guild.id,
    author,
    content: m.content,
    timestamp: new Date(m.timestamp).toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: /@(everyone|here)\b/.test(m.content),
    mentions,
    mention_roles: mentionRoles,
    mention_channels: [],
    attachments,
    embeds: Array.from({ length: m.embeds ?? 0 }, (_, i) => ({
      type: EmbedType.Rich,
      title: `Embed ${i + 1}`,
      description: 'simulated embed',
      color: 0x5865f2,
    })),
    components: [],
    pinned: false,
    flags: 0 as MessageFlags,
    ...(m.webhook ? {} : { nonce: m.id }),
  };
  if (m.stickers) {
    j.sticker_items = Array.from({ length: m.stickers }, (_, i) => ({
      id: (BigInt(m.id) + 100n + BigInt(i)).toString(),
      name: `sticker${i}`,
      format_type: StickerFormatType.PNG,
    }));
  }
  if (m.webhook) j.webhook_id = m.authorId;
  else j.member = memberWithoutUserJson(member!);
  if (m.interaction) addInteraction(j, m.interaction, guild);
  if (m.replyTo) {
    j.type = MessageType.Reply;
    j.message_reference = { type: 0, message_id: m.replyTo.messageId, channel_id: channel.id, guild_id: guild.id };
  }
  return j;
}

function addInteraction(j: GatewayMessageCreateDispatchData, x: MessageInteractionInput, guild: SimGuild): void {
  const invoker = guild.members.get(x.userId);
  if (!invoker) throw new Error(`interaction user ${x.userId} is not a member of guild ${guild.id}`);
  const user = userJson(invoker.user);
  const original = x.type === 2 && !x.originalResponseMessageId;
  // Original command responses are CHAT_INPUT_COMMAND (20) or CONTEXT_MENU_COMMAND (23); follow-ups and
  // component responses are ordinary messages.
  j.type = original
    ? (x.commandType ?? 1) === 1
      ? MessageType.ChatInputCommand
      : MessageType.ContextMenuCommand
    : MessageType.Default;
  if (x.applicationId) j.application_id = x.applicationId;
  const base = {
    id: x.id,
    user,
    authorizing_integration_owners: { '0': guild.id },
    ...(x.originalResponseMessageId ? { original_response_message_id: x.originalResponseMessageId } : {}),
  };
  const metadata: APIMessageInteractionMetadata =
    x.type === 2
      ? { ...base, type: InteractionType.ApplicationCommand }
      : { ...base, type: InteractionType.MessageComponent, interacted_message_id: x.interactedMessageId ?? '' };
  j.interaction_metadata = metadata;
  if (x.name !== undefined)
    j.interaction = {
      id: x.id,
      type: x.type === 2 ? InteractionType.ApplicationCommand : InteractionType.MessageComponent,
      name: x.name,
      user,
    };
}

/**
 * Without the MESSAGE_CONTENT intent Discord blanks content, embeds, attachments and components, except
 * for messages the bot wrote or that mention it.
 */
export function gateMessageContent(botUserId: string) {
  return (msg: GatewayMessageCreateDispatchData, intents: number): GatewayMessageCreateDispatchData => {
    if (intents & GatewayIntentBits.MessageContent) return msg;
    if (msg.author.id === botUserId || msg.mentions.some((u) => u.id === botUserId)) return msg;
    return { ...msg, content: '', embeds: [], attachments: [], components: [] };
  };
}

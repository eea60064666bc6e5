// POST /channels/{id}/messages from the bot (resources/message.mdx, "Create Message"): the bot must be a
// member with View Channel and Send Messages (and Attach Files for files), the channel a text-capable one,
// and the message non-empty (content, an embed or a file; content at most 2,000 characters). Accepted
// messages are kept in `posted` (content, embeds and file bytes) for tests to read. The simulator does not
// dispatch MESSAGE_CREATE for them: they are not traffic and stay out of the counting ground truth.
import {
  EmbedType,
  type MessageFlags,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type APIEmbed,
  type APIMessage,
} from 'discord-api-types/v10';
import type { ParsedBody, UploadedFile } from './multipart.js';
import { userJson } from './payloads.js';
import { memberPermissions } from './permissions.js';
import { ChannelKind, type World } from './world.js';

export interface PostedMessage {
  id: string;
  guildId: string;
  channelId: string;
  content: string;
  embeds: APIEmbed[];
  files: UploadedFile[];
  at: number;
}

const err = (status: number, code: number, message: string) => ({ status, body: { code, message } });
const TEXT_CAPABLE: number[] = [
  ChannelKind.Text,
  ChannelKind.Announcement,
  ChannelKind.Voice,
  ChannelKind.PublicThread,
];

export class ChannelMessages {
  readonly posted: PostedMessage[] = [];

  constructor(private readonly o: { world: World; newId: () => string }) {}

  create(channelId: string, body: ParsedBody): { status: number; body: unknown } {
    const { world } = this.o;
    const ch = world.channel(channelId);
    if (!ch) return err(404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
    const g = world.guild(ch.guildId);
    if (!g || !g.members.has(world.botUser.id)) return err(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
    const perms = memberPermissions(g, world.botUser.id);
    if (!(perms & PermissionFlagsBits.ViewChannel)) return err(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
    if (!TEXT_CAPABLE.includes(ch.type))
      return err(
        400,
        RESTJSONErrorCodes.CannotSendMessagesInNonTextChannel,
        'Cannot send messages in a non-text channel',
      );
    if (!(perms & PermissionFlagsBits.SendMessages))
      return err(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
    if (body.files.length > 0 && !(perms & PermissionFlagsBits.AttachFiles))
      return err(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
    const json = (body.json ?? {}) as { content?: unknown; embeds?: unknown };
    const content = typeof json.content === 'string' ? json.content : '';
    // Discord stores sent embeds as type "rich".
    const embeds = Array.isArray(json.embeds)
      ? (json.embeds as APIEmbed[]).map((e) => ({ ...e, type: EmbedType.Rich }))
      : [];
    if ([...content].length > 2000 || embeds.length > 10)
      return err(400, RESTJSONErrorCodes.InvalidFormBodyOrContentType, 'Invalid Form Body');
    if (content === '' && embeds.length === 0 && body.files.length === 0)
      return err(400, RESTJSONErrorCodes.CannotSendAnEmptyMessage, 'Cannot send an empty message');
    const m: PostedMessage = {
      id: this.o.newId(),
      guildId: ch.guildId,
      channelId,
      content,
      embeds,
      files: body.files,
      at: Date.now(),
    };
    this.posted.push(m);
    // flags and components are required by the spec (MessageResponse) though discord-api-types marks them optional.
    const message: APIMessage & { flags: MessageFlags; components: [] } = {
      flags: 0 as MessageFlags,
      components: [],
      id: m.id,
      channel_id: channelId,
      author: userJson(world.botUser),
      content,
      timestamp: new Date(m.at).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: body.files.map((f, k) => ({
        id: String(k),
        filename: f.name,
        size: f.data.length,
        url: `attachment://${f.name}`,
        proxy_url: `attachment://${f.name}`,
        content_type: f.contentType,
      })),
      embeds,
      pinned: false,
      type: 0,
    };
    return { status: 200, body: message };
  }
}

// Slash-command interactions: builds INTERACTION_CREATE payloads, serves the callback / webhook routes the
// bot answers through, enforces Discord's 3 s acknowledgement window and records every reply with its files.
import { randomBytes } from 'node:crypto';
import {
  ApplicationCommandType,
  ComponentType,
  EmbedType,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  Locale,
  MessageFlags,
  MessageType,
  RESTJSONErrorCodes,
  type APIApplicationCommandGuildInteraction,
  type APIEmbed,
  type APIMessageTopLevelComponent,
  type APIMessage,
  type APIMessageComponentGuildInteraction,
  type RESTError,
  type RESTPostAPIInteractionCallbackWithResponseResult,
} from 'discord-api-types/v10';
import { invokerPermissions, type CommandData, type InvokeCommand } from './command-data.js';
import type { UploadedFile } from './multipart.js';
import { channelJson, memberJson, userJson } from './payloads.js';
import { memberPermissions } from './permissions.js';
import type { SnowflakeGenerator } from './snowflake.js';
import type { World } from './world.js';

export interface RecordedReply {
  interactionId: string;
  commandName: string;
  guildId: string;
  channelId: string;
  userId: string;
  content: string;
  embeds: APIEmbed[];
  flags: number;
  files: UploadedFile[];
  /** Message components (action rows with buttons) the reply carries. */
  components: APIMessageTopLevelComponent[];
  /** The message's id, for clickButton. */
  messageId: string;
  receivedAt: number;
  /** Which call produced it: callback type 4 / modal, PATCH of @original, or follow-up. */
  kind: 'reply' | 'edit' | 'followup' | 'modal';
}

/** A click on a button of a message the bot sent (MESSAGE_COMPONENT interaction). */
export interface ClickButton {
  guildId: string;
  channelId: string;
  userId: string;
  messageId: string;
  customId: string;
  timeoutMs?: number;
}

export interface ApiError {
  status: number;
  body: RESTError;
}

interface MessageState {
  id: string;
  content: string;
  embeds: APIEmbed[];
  flags: number;
  files: UploadedFile[];
  components: APIMessageTopLevelComponent[];
  createdAt: number;
  editedAt: number | null;
}

interface Pending {
  id: string;
  token: string;
  commandName: string;
  guildId: string;
  channelId: string;
  userId: string;
  createdAt: number;
  acked: boolean;
  original: MessageState | null;
  followups: Map<string, MessageState>;
  settle: ((r: RecordedReply) => void) | null;
  /** A button click: callbacks 6/7 and @original edit the clicked message, which `owner` sent. */
  owner?: Pending;
}

const EPHEMERAL = MessageFlags.Ephemeral;
const WEBHOOK_TOKEN_TTL_MS = 15 * 60 * 1000;

/** Attachment ids derive from their message id so edits can refer back to them. */
const attachmentId = (m: { id: string }, i: number) => (BigInt(m.id) + BigInt(i) + 1n).toString();

const err = (status: number, code: number, message: string): ApiError => ({ status, body: { code, message } });

/** Embeds as Discord echoes them back: type "rich" and every field's `inline` set (MessageEmbedResponse). */
function echoEmbeds(list: APIEmbed[]): APIEmbed[] {
  return list.map((e) => ({
    ...e,
    type: e.type ?? EmbedType.Rich,
    ...(e.fields ? { fields: e.fields.map((f) => ({ ...f, inline: f.inline ?? false })) } : {}),
  }));
}

export class Interactions {
  readonly replies: RecordedReply[] = [];
  private readonly byId = new Map<string, Pending>();
  private readonly byToken = new Map<string, Pending>();

  constructor(
    private readonly world: World,
    private readonly ids: SnowflakeGenerator,
    private readonly ackTimeoutMs: number,
    private readonly attachmentBase: () => string,
  ) {}

  /** The interaction whose reply or follow-up is message `messageId`, and the message. */
  private findMessage(messageId: string): { p: Pending; m: MessageState } | undefined {
    for (const p of this.byId.values()) {
      for (const m of [p.original, ...p.followups.values()]) if (m?.id === messageId) return { p, m };
    }
    return undefined;
  }

  /** Builds the MESSAGE_COMPONENT payload of a button click and a promise for the bot's response. */
  createClick(c: ClickButton): { payload: APIMessageComponentGuildInteraction; reply: Promise<RecordedReply> } {
    const found = this.findMessage(c.messageId);
    if (!found) throw new Error(`unknown message ${c.messageId}`);
    if (found.p.guildId !== c.guildId) throw new Error(`message ${c.messageId} is not in guild ${c.guildId}`);
    const { base, pending, reply } = this.open({
      guildId: c.guildId,
      channelId: c.channelId,
      userId: c.userId,
      name: found.p.commandName,
      timeoutMs: c.timeoutMs,
    });
    pending.owner = found.p;
    pending.original = found.m;
    const payload: APIMessageComponentGuildInteraction = {
      ...base,
      type: InteractionType.MessageComponent,
      data: { custom_id: c.customId, component_type: ComponentType.Button },
      message: this.messageJson(found.p, found.m),
    };
    return { payload, reply };
  }

  /** Builds the INTERACTION_CREATE payload of a command with `data` and a promise for the bot's final reply. */
  create(
    c: InvokeCommand,
    data: CommandData,
  ): { payload: APIApplicationCommandGuildInteraction; reply: Promise<RecordedReply> } {
    const { base, reply } = this.open(c);
    const type = InteractionType.ApplicationCommand;
    // One branch per kind of data, so each payload is the interaction type Discord defines for it.
    if (data.type === ApplicationCommandType.ChatInput) return { payload: { ...base, type, data }, reply };
    if (data.type === ApplicationCommandType.User) return { payload: { ...base, type, data }, reply };
    return { payload: { ...base, type, data }, reply };
  }

  /** The fields every guild interaction carries, and the pending state its callbacks resolve. */
  private open(c: Pick<InvokeCommand, 'guildId' | 'channelId' | 'userId' | 'name' | 'timeoutMs' | 'permissions'>) {
    const guild = this.world.guild(c.guildId);
    if (!guild) throw new Error(`unknown guild ${c.guildId}`);
    const channel = this.world.channel(c.channelId);
    if (!channel || channel.guildId !== c.guildId)
      throw new Error(`channel ${c.channelId} is not in guild ${c.guildId}`);
    const member = guild.members.get(c.userId);
    if (!member) throw new Error(`user ${c.userId} is not a member of guild ${c.guildId}`);

    const id = this.ids.next();
    const token = `aW50ZXJhY3Rpb246${id}:${randomBytes(48).toString('base64url')}`;
    const pending: Pending = {
      id,
      token,
      commandName: c.name,
      guildId: c.guildId,
      channelId: c.channelId,
      userId: c.userId,
      createdAt: Date.now(),
      acked: false,
      original: null,
      followups: new Map(),
      settle: null,
    };
    const timeoutMs = c.timeoutMs ?? 15_000;
    const reply = new Promise<RecordedReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.settle = null;
        reject(new Error(`no reply to /${c.name} (interaction ${id}) within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.settle = (r) => {
        clearTimeout(timer);
        pending.settle = null;
        resolve(r);
      };
    });
    this.byId.set(id, pending);
    this.byToken.set(token, pending);
    // Bound memory for long runs: forget interactions whose webhook token has expired.
    setTimeout(() => {
      this.byId.delete(id);
      this.byToken.delete(token);
    }, WEBHOOK_TOKEN_TTL_MS).unref();

    const base = {
      id,
      application_id: this.world.application.id,
      token,
      version: 1 as const,
      guild_id: c.guildId,
      guild: { id: c.guildId, locale: Locale.EnglishUS, features: [] },
      guild_locale: Locale.EnglishUS,
      channel_id: c.channelId,
      channel: channelJson(channel),
      member: { ...memberJson(member), permissions: invokerPermissions(guild, c) },
      app_permissions: memberPermissions(guild, this.world.botUser.id).toString(),
      locale: Locale.EnglishUS,
      entitlements: [],
      authorizing_integration_owners: { '0': c.guildId },
      context: InteractionContextType.Guild,
      attachment_size_limit: 10 * 1024 * 1024,
    };
    return { base, pending, reply };
  }

  private record(p: Pending, m: MessageState, kind: RecordedReply['kind']): RecordedReply {
    const r: RecordedReply = {
      interactionId: p.id,
      commandName: p.commandName,
      guildId: p.guildId,
      channelId: p.channelId,
      userId: p.userId,
      content: m.content,
      embeds: m.embeds,
      flags: m.flags,
      files: m.files,
      components: m.components,
      messageId: m.id,
      receivedAt: Date.now(),
      kind,
    };
    this.replies.push(r);
    p.settle?.(r);
    return r;
  }

  private messageJson(p: Pending, m: MessageState): APIMessage {
    const user = this.world.guild(p.guildId)?.members.get(p.userId)?.user;
    const invoker = user
      ? userJson(user)
      : { id: p.userId, username: 'departed', discriminator: '0', global_name: null, avatar: null };
    return {
      id: m.id,
      type: MessageType.ChatInputCommand,
      channel_id: p.channelId,
      author: userJson(this.world.botUser),
      content: m.content,
      embeds: m.embeds,
      attachments: m.files.map((f, i) => ({
        id: attachmentId(m, i),
        filename: f.name,
        size: f.data.length,
        content_type: f.contentType,
        url: `${this.attachmentBase()}/${m.id}/${i}/${encodeURIComponent(f.name)}`,
        proxy_url: `${this.attachmentBase()}/${m.id}/${i}/${encodeURIComponent(f.name)}`,
      })),
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: new Date(m.createdAt).toISOString(),
      edited_timestamp: m.editedAt ? new Date(m.editedAt).toISOString() : null,
      flags: m.flags,
      components: m.components,
      webhook_id: this.world.application.id,
      application_id: this.world.application.id,
      interaction_metadata: {
        id: p.id,
        type: InteractionType.ApplicationCommand,
        user: invoker,
        authorizing_integration_owners: { '0': p.guildId },
      },
      interaction: { id: p.id, type: InteractionType.ApplicationCommand, name: p.commandName, user: invoker },
    };
  }

  /** Applies the fields a create/edit body carries; omitted fields keep their previous value. */
  private apply(m: MessageState, body: Record<string, unknown>, files: UploadedFile[]): void {
    if ('content' in body) m.content = typeof body.content === 'string' ? body.content : '';
    // The bot's request body, taken as Discord would accept it.
    if ('embeds' in body) m.embeds = Array.isArray(body.embeds) ? echoEmbeds(body.embeds as APIEmbed[]) : [];
    if (typeof body.flags === 'number') m.flags = body.flags;
    if ('components' in body)
      m.components = Array.isArray(body.components) ? (body.components as APIMessageTopLevelComponent[]) : [];
    if (files.length) m.files = files;
    else if (Array.isArray(body.attachments)) {
      // Kept attachments are referenced by their existing ids; anything not listed is removed.
      const keep = new Set((body.attachments as { id?: unknown }[]).map((a) => String(a.id)));
      m.files = m.files.filter((_, i) => keep.has(attachmentId(m, i)));
    }
  }

  private newMessage(): MessageState {
    return {
      id: this.ids.next(),
      content: '',
      embeds: [],
      flags: 0,
      files: [],
      components: [],
      createdAt: Date.now(),
      editedAt: null,
    };
  }

  attachment(messageId: string, index: number): UploadedFile | undefined {
    for (const p of this.byId.values()) {
      for (const m of [p.original, ...p.followups.values()]) if (m?.id === messageId) return m.files[index];
    }
    return undefined;
  }

  /** POST /interactions/{id}/{token}/callback */
  callback(
    id: string,
    token: string,
    body: Record<string, unknown>,
    files: UploadedFile[],
    withResponse: boolean,
  ): { status: number; body: RESTPostAPIInteractionCallbackWithResponseResult | null } | ApiError {
    const p = this.byId.get(id);
    if (!p || p.token !== token || Date.now() - p.createdAt > this.ackTimeoutMs)
      return err(404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction');
    if (p.acked)
      return err(
        400,
        RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
        'Interaction has already been acknowledged.',
      );
    const type = body.type as InteractionResponseType;
    const data = (body.data ?? {}) as Record<string, unknown>;
    const m = this.newMessage();
    const R = InteractionResponseType;
    if ((type === R.DeferredMessageUpdate || type === R.UpdateMessage) && !p.owner) {
      return err(
        400,
        RESTJSONErrorCodes.InvalidFormBodyOrContentType,
        `Invalid Form Body: interaction response type ${String(type)} is not valid for this interaction`,
      );
    }
    switch (type) {
      case R.DeferredMessageUpdate:
        // Deferred update: the clicked message is edited later through @original.
        p.acked = true;
        break;
      case R.UpdateMessage: {
        const target = p.original!;
        this.apply(target, data, files);
        target.editedAt = Date.now();
        p.acked = true;
        this.record(p, { ...target }, 'edit');
        break;
      }
      case R.ChannelMessageWithSource:
        this.apply(m, data, files);
        p.original = m;
        p.acked = true;
        this.record(p, { ...m }, 'reply');
        break;
      case R.DeferredChannelMessageWithSource:
        m.flags = typeof data.flags === 'number' ? data.flags & EPHEMERAL : 0;
        p.original = m; // the "thinking..." placeholder that @original edits fill in
        p.acked = true;
        break;
      case R.Modal:
        p.acked = true;
        this.apply(m, { content: String(data.title ?? ''), embeds: [] }, []);
        this.record(p, m, 'modal');
        break;
      default:
        return err(
          400,
          RESTJSONErrorCodes.InvalidFormBodyOrContentType,
          `Invalid Form Body: interaction response type ${String(type)} is not valid for an application command`,
        );
    }
    if (!withResponse) return { status: 204, body: null };
    return {
      status: 200,
      body: {
        interaction: {
          id: p.id,
          type: p.owner ? InteractionType.MessageComponent : InteractionType.ApplicationCommand,
          response_message_id: m.id,
          response_message_loading: type === R.DeferredChannelMessageWithSource,
          response_message_ephemeral: (m.flags & EPHEMERAL) !== 0,
        },
        // A resource only where there is one: the message of types 4 and 7 (receiving-and-responding.mdx,
        // "Interaction Callback Resource Object"); the spec has no resource shape for the other types.
        ...(type === R.ChannelMessageWithSource || type === R.UpdateMessage
          ? { resource: { type, message: this.messageJson(p, type === R.UpdateMessage ? p.original! : m) } }
          : {}),
      },
    };
  }

  private byWebhook(appId: string, token: string): Pending | ApiError {
    const p = this.byToken.get(token);
    if (appId !== this.world.application.id || !p)
      return err(404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
    if (Date.now() - p.createdAt > WEBHOOK_TOKEN_TTL_MS)
      return err(401, RESTJSONErrorCodes.InvalidWebhookToken, 'Invalid Webhook Token');
    return p;
  }

  private target(p: Pending, messageId: string): MessageState | undefined {
    return messageId === '@original'
      ? (p.original ?? undefined)
      : (p.followups.get(messageId) ?? (p.original?.id === messageId ? p.original : undefined));
  }

  /** PATCH /webhooks/{app}/{token}/messages/{@original|id} */
  edit(
    appId: string,
    token: string,
    messageId: string,
    body: Record<string, unknown>,
    files: UploadedFile[],
  ): { status: number; body: APIMessage } | ApiError {
    const p = this.byWebhook(appId, token);
    if ('status' in p) return p;
    const m = this.target(p, messageId);
    if (!m) return err(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
    this.apply(m, body, files);
    m.editedAt = Date.now();
    this.record(p, { ...m }, 'edit');
    return { status: 200, body: this.messageJson(p, m) };
  }

  /** GET /webhooks/{app}/{token}/messages/{id} */
  get(appId: string, token: string, messageId: string): { status: number; body: APIMessage } | ApiError {
    const p = this.byWebhook(appId, token);
    if ('status' in p) return p;
    const m = this.target(p, messageId);
    return m
      ? { status: 200, body: this.messageJson(p, m) }
      : err(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
  }

  /** DELETE /webhooks/{app}/{token}/messages/{id} */
  delete(appId: string, token: string, messageId: string): { status: number; body: null } | ApiError {
    const p = this.byWebhook(appId, token);
    if ('status' in p) return p;
    const m = this.target(p, messageId);
    if (!m) return err(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
    if (m === p.original) p.original = null;
    else p.followups.delete(m.id);
    return { status: 204, body: null };
  }

  /** POST /webhooks/{app}/{token} (follow-up message) */
  followup(
    appId: string,
    token: string,
    body: Record<string, unknown>,
    files: UploadedFile[],
    wait: boolean,
  ): { status: number; body: APIMessage | null } | ApiError {
    const p = this.byWebhook(appId, token);
    if ('status' in p) return p;
    if (!p.acked) return err(404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
    const m = this.newMessage();
    this.apply(m, body, files);
    p.followups.set(m.id, m);
    this.record(p, m, 'followup');
    return wait ? { status: 200, body: this.messageJson(p, m) } : { status: 204, body: null };
  }
}

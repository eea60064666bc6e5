// The local Discord simulator: one HTTP server on 127.0.0.1 serving REST at /api and the gateway at
// /gateway, a deterministic world, ground truth of every message sent, recorded interaction replies and
// fault injection. Real, unmodified discord.js clients connect to it via `rest: { api: sim.apiUrl }`.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { CommandRegistry } from './commands.js';
import { Gateway } from './gateway.js';
import { Interactions, type ClickButton, type RecordedReply } from './interactions.js';
import { gateMessageContent, messageCreateJson, type MessageInteractionInput } from './messages.js';
import { invokedCommandName, shapeCommandPayload, UNKNOWN_COMMAND, type InvokeAppCommand } from './app-traffic.js';
import { reactionJson, reactionTruthKey, type SendReaction } from './emoji-traffic.js';
import { RestApi, type RestFault, type SessionStartLimit } from './rest.js';
import { shardForGuild, SnowflakeGenerator } from './snowflake.js';
import { HistoryClock, TrafficPlanner, type TrafficOptions, type TrafficSummary } from './traffic.js';
import { MemberTraffic } from './invites.js';
import { GroundTruth } from './truth.js';
import { ChannelKind, World } from './world.js';

export { GroundTruth, type TruthMessage, type Totals, type TotalsOptions } from './truth.js';
export { World, ChannelKind, type SimGuild, type SimChannel, type SimMember, type SimUser, type SimRole, type SimEmoji, type SimApplication } from './world.js';
export type { RecordedReply, InvokeCommand, CommandOption, ClickButton } from './interactions.js';
export type { UploadedFile } from './multipart.js';
export type { TrafficOptions, TrafficSummary } from './traffic.js';
export type { RestFault } from './rest.js';
export type { MessageInteractionInput } from './messages.js';
export { sendEmojiTraffic, TRICKY_UNICODE, COMMON_UNICODE, type SendReaction, type UnicodeEmoji, type ReactionEmoji, type EmojiTrafficOptions, type EmojiTrafficSummary } from './emoji-traffic.js';
export { sendAppTraffic, applicationIdOf, UNKNOWN_COMMAND, type InvokeAppCommand, type AppTrafficOptions, type AppTrafficSummary } from './app-traffic.js';
export { Intent } from './intents.js';
export { VoiceDriver, type VoiceFlags, type VoiceTotals } from './voice.js';
export { PresenceDriver, activityTruthKey, type ActivityInput, type ActivityTotals } from './presence.js';
export type { SimVoiceState, SimPresence, SimActivity } from './world.js';
export { MemberTraffic, listInvites, canManageGuild, runInviteScenario, type InviteScenarioOptions, type InviteScenarioCast, type JoinTruth, type LeaveTruth, type JoinVia, type SimAttribution, type Breakdown, type ExpectedInviteStats } from './invites.js';
export type { SimInvite } from './world.js';
export { shardForGuild, snowflakeTimestamp, SnowflakeGenerator, DISCORD_EPOCH } from './snowflake.js';
export { sendMixedTraffic, type MixedTraffic, type MixedTrafficOptions } from './scenario.js';
export { truthWords } from './truth.js';

export interface SimulatorOptions {
  guilds?: number;
  shards?: number;
  token?: string;
  seed?: number;
  port?: number;
  heartbeatIntervalMs?: number;
  maxConcurrency?: number;
  sessionStartTotal?: number;
  logLevel?: string;
  /** Discord's window for the first interaction callback; later callbacks get 404 Unknown interaction. */
  interactionAckTimeoutMs?: number;
  /** Seed guilds with invites that already have uses, and vanity URLs on every third guild (invites.ts). */
  invites?: boolean;
}

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
  /** Emoji keys the sender put into `content` (see sim/emoji-traffic.ts), recorded as ground truth for
   *  members' messages. Omitted: the message's emojis are not in the truth. */
  emojis?: readonly string[];
  /** Makes it an app's response to an interaction; an original command response is a use in the truth. */
  interaction?: MessageInteractionInput;
}

export interface SentMessage {
  id: string;
  /** Milliseconds since the epoch, as encoded in the id. */
  timestamp: number;
}

export interface Faults {
  dropConnection(shardId: number, closeCode?: number): void;
  invalidSession(shardId: number, resumable: boolean): void;
  reconnect(shardId: number): void;
  failRest(f: RestFault): void;
  sendMalformed(shardId: number): void;
}

/** A token shaped like Discord's: base64(user id).timestamp.hmac. */
function realisticToken(userId: string): string {
  return `${Buffer.from(userId).toString('base64url')}.${randomBytes(5).toString('base64url')}.${randomBytes(28).toString('base64url')}`;
}

const BACKPRESSURE_BYTES = 8 * 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Simulator {
  readonly world: World;
  readonly truth = new GroundTruth();
  /** Invites, joins and leaves, with the ground truth of each join's attribution. */
  readonly members: MemberTraffic = new MemberTraffic(this);
  readonly token: string;
  readonly faults: Faults;
  readonly logger: Logger;
  private port = 0;
  private readonly ids = new SnowflakeGenerator(2n, 1n);
  private readonly server: Server;
  private readonly gateway: Gateway;
  private readonly rest: RestApi;
  private readonly interactions: Interactions;
  private readonly commands: CommandRegistry;
  private readonly recommendedShards: number;
  private readonly gateContent: (d: unknown, intents: number) => unknown;

  /** Use startSimulator(). */
  constructor(opts: SimulatorOptions = {}) {
    this.logger = pino({ level: opts.logLevel ?? 'warn', base: { pid: process.pid, component: 'sim' }, timestamp: pino.stdTimeFunctions.isoTime });
    this.world = new World({ guilds: opts.guilds ?? 20, seed: opts.seed ?? 1, invites: opts.invites ?? false });
    this.token = opts.token ?? realisticToken(this.world.botUser.id);
    this.recommendedShards = opts.shards ?? 1;
    this.commands = new CommandRegistry(this.world.application.id, this.ids);
    this.interactions = new Interactions(this.world, this.ids, opts.interactionAckTimeoutMs ?? 3000, () => `http://127.0.0.1:${this.port}/attachments/replies`, (g, n) => this.commands.idFor(g, n));
    const sessionStart: SessionStartLimit = {
      total: opts.sessionStartTotal ?? 1000,
      remaining: opts.sessionStartTotal ?? 1000,
      resetAt: Date.now() + 86_400_000,
      maxConcurrency: opts.maxConcurrency ?? 16,
    };
    const gatewayUrl = () => `ws://127.0.0.1:${this.port}/gateway`;
    this.gateway = new Gateway({
      world: this.world,
      token: this.token,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
      logger: this.logger,
      gatewayUrl,
      maxConcurrency: sessionStart.maxConcurrency,
      onIdentify: () => {
        sessionStart.remaining = Math.max(0, sessionStart.remaining - 1);
      },
    });
    this.rest = new RestApi({
      world: this.world,
      token: this.token,
      logger: this.logger,
      interactions: this.interactions,
      commands: this.commands,
      gatewayUrl,
      recommendedShards: this.recommendedShards,
      sessionStart,
    });
    this.gateContent = gateMessageContent(this.world.botUser.id);
    const gw = this.gateway;
    this.faults = {
      dropConnection: (shardId, closeCode) => gw.dropConnection(shardId, closeCode),
      invalidSession: (shardId, resumable) => gw.invalidSession(shardId, resumable),
      reconnect: (shardId) => gw.reconnect(shardId),
      failRest: (f) => this.rest.failRest(f),
      sendMalformed: (shardId) => gw.sendMalformed(shardId),
    };

    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.startsWith('/api/') || path === '/api') return void this.rest.handle(req, res);
      if (path.startsWith('/attachments/replies/')) return this.serveReplyAttachment(path, res);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: '404: Not Found', code: 0 }));
    });
    this.server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/gateway' || path === '/gateway/') this.gateway.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
  }

  /** @internal */
  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  get replies(): RecordedReply[] {
    return this.interactions.replies;
  }

  get registeredCommands(): { global: unknown[]; guild: Map<string, unknown[]> } {
    return this.commands;
  }

  get identifyLog(): { shard: number; at: number }[] {
    return this.gateway.identifyLog;
  }

  /** Gateway messages received from clients, by opcode (8: REQUEST_GUILD_MEMBERS). Past 120 a minute on one connection it closes with 4008, as Discord does. */
  gatewayMessages(op: number): number {
    return this.gateway.received.get(op) ?? 0;
  }

  /** IDENTIFYs that arrived within 5 s of another in the same max_concurrency bucket (accepted, but logged). */
  get identifyViolations(): number {
    return this.gateway.identifyViolations;
  }

  /** Shard that holds the guild, by the shard count connected clients identified with (else the recommended one). */
  shardOf(guildId: string): number {
    return shardForGuild(guildId, this.gateway.totalShards() ?? this.recommendedShards);
  }

  readyShards(): number[] {
    return this.gateway.readyShards();
  }

  async waitForShards(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.readyShards().length < count) {
      if (Date.now() > deadline) throw new Error(`only shards [${this.readyShards().join(',')}] ready after ${timeoutMs} ms, wanted ${count}`);
      await sleep(20);
    }
  }

  /**
   * Dispatches any guild event to the guild's shard (intent-gated), for scenarios beyond chat messages
   * (reactions, voice states, member joins). The payload is sent as given.
   */
  dispatchGuildEvent(guildId: string, event: string, data: unknown): number {
    return this.gateway.dispatchToGuild(guildId, event, data);
  }

  /** Dispatches MESSAGE_CREATE on the guild's shard now and records it in the ground truth. */
  sendMessage(m: SendMessage): SentMessage {
    const guild = this.world.guild(m.guildId);
    if (!guild) throw new Error(`unknown guild ${m.guildId}`);
    const channel = this.world.channel(m.channelId);
    if (!channel || channel.guildId !== guild.id) throw new Error(`channel ${m.channelId} is not in guild ${m.guildId}`);
    if (channel.type === ChannelKind.Category || channel.type === ChannelKind.Forum) throw new Error(`channel ${m.channelId} (type ${channel.type}) cannot hold messages`);
    const webhook = m.webhook ?? false;
    const member = guild.members.get(m.authorId);
    if (!webhook && !member) throw new Error(`user ${m.authorId} is not a member of guild ${m.guildId}`);
    const now = m.timestamp ?? Date.now();
    const id = this.ids.next(now);
    const content = m.content ?? '';
    const attachments = m.attachments ?? 0;
    this.truth.record({
      id,
      guildId: guild.id,
      channelId: channel.id,
      parentChannelId: channel.type === ChannelKind.PublicThread ? channel.parentId : null,
      authorId: m.authorId,
      bot: webhook || (member?.user.bot ?? false),
      webhook,
      content,
      attachments,
      timestamp: now,
    });
    if (m.emojis && !webhook && !member?.user.bot) for (const e of m.emojis) this.truth.recordEmojiUse(guild.id, m.authorId, e, 'message');
    const x = m.interaction;
    if (x && x.type === 2 && !x.originalResponseMessageId && x.applicationId !== this.world.application.id) {
      this.truth.recordAppUse(guild.id, channel.id, x.userId, x.applicationId ?? m.authorId, x.name ?? UNKNOWN_COMMAND);
    }
    const payload = messageCreateJson({ id, guild, channel, authorId: m.authorId, content, attachments, webhook, timestamp: now, interaction: m.interaction }, `http://127.0.0.1:${this.port}/attachments`);
    this.gateway.dispatchToGuild(guild.id, 'MESSAGE_CREATE', payload, this.gateContent);
    return { id, timestamp: now };
  }

  /** Sends `messages` random realistic messages, paced at ratePerSec or as fast as the sockets drain. */
  async sendTraffic(opts: TrafficOptions): Promise<TrafficSummary> {
    const planner = new TrafficPlanner(this.world, opts.seed ?? 0x5eed, opts.guildIds);
    const summary: TrafficSummary = { sent: 0, humans: 0, bots: 0, webhooks: 0, withAttachments: 0, durationMs: 0 };
    const started = Date.now();
    const history = opts.historyMs ? new HistoryClock(opts.historyMs, started, opts.seed ?? 0x5eed) : undefined;
    const sendOne = () => {
      const p = planner.next();
      this.sendMessage(history ? { ...p, timestamp: history.next() } : p);
      summary.sent++;
      if (p.kind === 'human') summary.humans++;
      else if (p.kind === 'bot') summary.bots++;
      else summary.webhooks++;
      if (p.attachments) summary.withAttachments++;
    };
    while (summary.sent < opts.messages) {
      let due = opts.messages - summary.sent;
      if (opts.ratePerSec) due = Math.min(due, Math.floor(((Date.now() - started) * opts.ratePerSec) / 1000) - summary.sent);
      due = Math.min(due, 500); // yield regularly so sockets, heartbeats and REST keep flowing
      for (let i = 0; i < due; i++) sendOne();
      if (due > 0) opts.onProgress?.(summary.sent);
      if (this.gateway.maxBufferedAmount() > BACKPRESSURE_BYTES) await sleep(5);
      else if (opts.ratePerSec) await sleep(due > 0 ? 1 : 5);
      else await new Promise((r) => setImmediate(r));
    }
    summary.durationMs = Date.now() - started;
    return summary;
  }

  /** Dispatches MESSAGE_REACTION_ADD (or _REMOVE) and records an add by a member in the ground truth. */
  react(r: SendReaction): void {
    const member = this.world.guild(r.guildId)?.members.get(r.userId);
    if (!member) throw new Error(`user ${r.userId} is not a member of guild ${r.guildId}`);
    if (!r.remove && !member.user.bot) this.truth.recordEmojiUse(r.guildId, r.userId, reactionTruthKey(r.emoji), 'reaction');
    this.gateway.dispatchToGuild(r.guildId, r.remove ? 'MESSAGE_REACTION_REMOVE' : 'MESSAGE_REACTION_ADD', reactionJson(r, member));
  }

  /** A fresh snowflake from the simulator's generator (message, interaction ids), for `atMs` (default now). */
  newSnowflake(atMs?: number): string {
    return this.ids.next(atMs);
  }

  /**
   * Sends INTERACTION_CREATE and resolves with the bot's final reply (see RecordedReply.kind). Every
   * invocation is a command use in the ground truth (application, command, user, channel).
   */
  invokeCommand(c: InvokeAppCommand): Promise<RecordedReply> {
    const { payload, reply } = this.interactions.create(c);
    shapeCommandPayload(payload, c, this.world, () => this.ids.next(), `http://127.0.0.1:${this.port}/attachments`);
    this.truth.recordAppUse(c.guildId, c.channelId, c.userId, this.world.application.id, invokedCommandName(c));
    const delivered = this.gateway.dispatchToGuild(c.guildId, 'INTERACTION_CREATE', payload);
    if (delivered === 0) this.logger.warn({ guild: c.guildId, command: c.name }, 'interaction sent while no session holds the guild');
    return reply;
  }

  /**
   * Clicks a button on a message the bot sent (MESSAGE_COMPONENT interaction) and resolves with the bot's
   * response: the clicked message updated (callback 7, or 6 then an edit of @original), a reply or a
   * follow-up. Not a command use in the ground truth.
   */
  clickButton(c: ClickButton): Promise<RecordedReply> {
    const { payload, reply } = this.interactions.createClick(c);
    const delivered = this.gateway.dispatchToGuild(c.guildId, 'INTERACTION_CREATE', payload);
    if (delivered === 0) this.logger.warn({ guild: c.guildId, button: c.customId }, 'button click sent while no session holds the guild');
    return reply;
  }

  private serveReplyAttachment(path: string, res: import('node:http').ServerResponse): void {
    const [, , , messageId, index] = path.split('/');
    const file = messageId && index ? this.interactions.attachment(messageId, Number(index)) : undefined;
    if (!file) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: '404: Not Found', code: 0 }));
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.data.length) }).end(file.data);
  }

  async close(): Promise<void> {
    this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new Simulator(opts);
  await sim.listen(opts.port ?? 0);
  sim.logger.info({ apiUrl: sim.apiUrl, guilds: sim.world.guilds.size }, 'simulator listening');
  return sim;
}

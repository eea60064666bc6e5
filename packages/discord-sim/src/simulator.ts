// The local Discord simulator: one HTTP server on 127.0.0.1 serving REST at /api, the gateway at /gateway
// (and the resume URL READY names), a deterministic world, ground truth of every message sent, recorded
// interaction replies and fault injection. Real, unmodified clients connect via `rest: { api: sim.apiUrl }`.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayDispatchEvents, type APIApplicationCommand } from 'discord-api-types/v10';
import { pino, type Logger } from 'pino';
import { UNKNOWN_COMMAND } from './app-traffic.js';
import { commandData, invokedCommandName, type InvokeCommand } from './command-data.js';
import { CommandRegistry } from './commands.js';
import { REAL_CLOCK, type SimClock } from './clock.js';
import { Credentials, SessionStartBudget } from './credentials.js';
import type { ChatSink, GuildEventSink } from './driver.js';
import { reactionAddJson, reactionRemoveJson, reactionTruthKey, type SendReaction } from './emoji.js';
import { Gateway, type DispatchData, type IdentifyRecord } from './gateway.js';
import { enabledPrivilegedIntents, type PrivilegedIntent } from './intents.js';
import { ApplicationKeys, postToEndpoint, validateEndpoint } from './http-delivery.js';
import { Interactions, type ClickButton, type RecordedReply } from './interactions.js';
import { MemberTraffic } from './invites.js';
import { StructureDriver } from './structure.js';
import { ChannelEditor } from './channel-edit.js';
import { ChannelMessages } from './channel-messages.js';
import { MemberRoleEditor } from './member-roles.js';
import { OAuth2 } from './oauth.js';
import { resolveLimits, type Limits } from './limits.js';
import { gateMessageContent, messageCreateJson, type SendMessage, type SentMessage } from './messages.js';
import { RestRateLimiter } from './rate-limits.js';
import { RestApi, type RestFault, type RestStats } from './rest.js';
import { shardForGuild, SnowflakeGenerator } from './snowflake.js';
import { HistoryClock, TrafficPlanner, type TrafficOptions, type TrafficSummary } from './traffic.js';
import { GroundTruth } from './truth.js';
import { MessageHistory } from './history.js';
import type { SimOverwrite } from './world.js';
import { channelJson } from './payloads.js';
import { ChannelKind, World } from './world.js';

export interface SimulatorOptions {
  guilds?: number;
  /** Member counts of large guilds added after the regular ones (World's largeGuilds), e.g. [100_000]. */
  largeGuilds?: number[];
  /** Shards GET /gateway/bot recommends. */
  shards?: number;
  /** The bot token (default: a fresh one shaped like Discord's). */
  token?: string;
  seed?: number;
  port?: number;
  heartbeatIntervalMs?: number;
  /** session_start_limit.max_concurrency (default 16). */
  maxConcurrency?: number;
  /** session_start_limit.total: IDENTIFYs per 24 h (default 1000, as Discord gives most bots). */
  sessionStartTotal?: number;
  logLevel?: string;
  /** Discord's window for the first interaction callback; later callbacks get 404 Unknown interaction. */
  interactionAckTimeoutMs?: number;
  /** Seed guilds with invites that already have uses, and vanity URLs on every third guild (invites.ts). */
  invites?: boolean;
  /** Privileged intents enabled for the application (default: all); IDENTIFY with another closes 4014. */
  privilegedIntents?: Partial<Record<PrivilegedIntent, boolean>>;
  /** Discord's limits, all on by default (limits.ts); switch one off only where a test needs it, and say why. */
  limits?: Partial<Limits>;
  /** The clock voice and activity truth is timed by (clock.ts); default real time. */
  clock?: SimClock;
}

/** One interaction POSTed to the Interactions Endpoint URL, and what came back. */
export interface EndpointDelivery {
  interactionId: string;
  /** HTTP status of the endpoint's answer; 0 when none came within the deadline. */
  status: number;
  /** From the POST to the end of the response. */
  ms: number;
  /** Why the interaction failed ("The application did not respond"), if it did. */
  error?: string;
}

export interface Faults {
  dropConnection(shardId: number, closeCode?: number): void;
  invalidSession(shardId: number, resumable: boolean): void;
  reconnect(shardId: number): void;
  failRest(f: RestFault): void;
  sendMalformed(shardId: number): void;
  /**
   * Dispatches any event name with any payload on the guild's shard, untyped and unchecked (a malformed or
   * unknown dispatch, to test a client's defences); returns the sessions it reached.
   */
  dispatchRaw(guildId: string, event: string, data: unknown): number;
}

const BACKPRESSURE_BYTES = 8 * 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GATEWAY_PATH = '/gateway';
/** READY's resume_gateway_url points here, so a test can tell whether a client resumed where told to. */
const RESUME_PATH = '/resume-gateway';

export class Simulator implements ChatSink, GuildEventSink {
  readonly world: World;
  readonly truth = new GroundTruth();
  /** When voice and activity segments start and end (SimulatorOptions.clock). */
  readonly clock: SimClock;
  /** Messages the bot posted over REST (POST /channels/{id}/messages), in order. */
  readonly channelMessages: ChannelMessages;
  /** Every message created (dispatched or laid down as history), served by GET /channels/{id}/messages. */
  readonly history = new MessageHistory();
  /** Invites, joins and leaves, with the ground truth of each join's attribution. */
  readonly members: MemberTraffic;
  /** Channels, categories, roles and members' roles changed as admins do (structure.ts). */
  readonly structure: StructureDriver;
  /** Member role changes made over REST, with their audit-log reasons (ground truth). */
  readonly memberRoles: MemberRoleEditor;
  readonly faults: Faults;
  readonly logger: Logger;
  readonly limits: Readonly<Limits>;
  /** The application's OAuth2: redirect URIs, client secret, programmatic sign-in (oauth.ts). */
  readonly oauth: OAuth2;
  private port = 0;
  private readonly ids = new SnowflakeGenerator(2n, 1n);
  private readonly credentials: Credentials;
  private readonly server: Server;
  private readonly gateway: Gateway;
  private readonly rest: RestApi;
  private readonly interactions: Interactions;
  private readonly commands: CommandRegistry;
  private readonly recommendedShards: number;
  private readonly gateContent: ReturnType<typeof gateMessageContent>;
  private readonly ackTimeoutMs: number;
  /** The application's Ed25519 key pair: Discord signs every HTTP-delivered interaction with it. */
  readonly applicationKeys = new ApplicationKeys();
  private endpointUrl: string | null = null;
  /** Interactions delivered over HTTP (the last 10,000), in delivery order. */
  readonly endpointDeliveries: EndpointDelivery[] = [];

  /** Use startSimulator(). */
  constructor(opts: SimulatorOptions = {}) {
    this.clock = opts.clock ?? REAL_CLOCK;
    this.logger = pino({
      level: opts.logLevel ?? 'warn',
      base: { pid: process.pid, component: 'sim' },
      timestamp: pino.stdTimeFunctions.isoTime,
    });
    this.world = new World({
      guilds: opts.guilds ?? 20,
      seed: opts.seed ?? 1,
      invites: opts.invites ?? false,
      privilegedIntents: opts.privilegedIntents,
      largeGuilds: opts.largeGuilds,
    });
    this.members = new MemberTraffic(this);
    this.structure = new StructureDriver(this, () => this.ids.next());
    this.channelMessages = new ChannelMessages({ world: this.world, newId: () => this.ids.next() });
    this.memberRoles = new MemberRoleEditor({ world: this.world, structure: this.structure });
    this.limits = resolveLimits(opts.limits);
    this.oauth = new OAuth2(this.world);
    this.credentials = new Credentials(this.world.botUser.id, opts.token);
    this.recommendedShards = opts.shards ?? 1;
    this.commands = new CommandRegistry(this.world.application.id, this.ids);
    this.ackTimeoutMs = opts.interactionAckTimeoutMs ?? 3000;
    this.interactions = new Interactions(
      this.world,
      this.ids,
      this.ackTimeoutMs,
      () => `http://127.0.0.1:${this.port}/attachments/replies`,
    );
    const sessionStart = new SessionStartBudget(opts.sessionStartTotal ?? 1000, opts.maxConcurrency ?? 16);
    const gatewayUrl = () => this.gatewayUrl;
    this.gateway = new Gateway({
      world: this.world,
      credentials: this.credentials,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
      logger: this.logger,
      gatewayUrl,
      resumeUrl: () => this.resumeGatewayUrl,
      sessionStart,
      limits: this.limits,
      allowedPrivilegedIntents: enabledPrivilegedIntents(this.world.application.flags),
    });
    this.rest = new RestApi({
      world: this.world,
      credentials: this.credentials,
      logger: this.logger,
      interactions: this.interactions,
      commands: this.commands,
      gatewayUrl,
      recommendedShards: this.recommendedShards,
      sessionStart,
      rateLimiter: this.limits.rest ? new RestRateLimiter(this.limits.restGlobalPerSecond) : null,
      endpoint: () => ({ verifyKey: this.applicationKeys.publicKeyHex, url: this.endpointUrl }),
      oauth: this.oauth,
      channelMessages: this.channelMessages,
      memberRoles: this.memberRoles,
      channels: new ChannelEditor({
        world: this.world,
        structure: this.structure,
        truth: this.truth,
        limit: this.limits.channelRename
          ? { perWindow: this.limits.channelRenamesPerWindow, windowMs: this.limits.channelRenameWindowMs }
          : null,
      }),
      history: this.history,
      attachmentsUrl: () => `http://127.0.0.1:${this.port}/attachments`,
    });
    this.gateContent = gateMessageContent(this.world.botUser.id);
    const gw = this.gateway;
    this.faults = {
      dropConnection: (shardId, closeCode) => gw.dropConnection(shardId, closeCode),
      invalidSession: (shardId, resumable) => gw.invalidSession(shardId, resumable),
      reconnect: (shardId) => gw.reconnect(shardId),
      failRest: (f) => this.rest.failRest(f),
      sendMalformed: (shardId) => gw.sendMalformed(shardId),
      dispatchRaw: (guildId, event, data) => gw.dispatchToGuild(guildId, event as GatewayDispatchEvents, data as never),
    };

    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.startsWith('/api/') || path === '/api') return void this.rest.handle(req, res);
      if (path === '/oauth2/authorize' && req.method === 'GET')
        return this.oauth.authorize(new URL(req.url ?? '/', this.baseUrl), res);
      if (path.startsWith('/attachments/replies/')) return this.serveReplyAttachment(path, res);
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: '404: Not Found', code: 0 }));
    });
    this.server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '/').split('?')[0]?.replace(/\/$/, '');
      if (path === GATEWAY_PATH) this.gateway.handleUpgrade(req, socket, head, 'gateway');
      else if (path === RESUME_PATH) this.gateway.handleUpgrade(req, socket, head, 'resume');
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

  /** The bot token. Discord resets it when the daily session start limit is exceeded (limits.sessionStart). */
  get token(): string {
    return this.credentials.token;
  }

  /** How many times the token was reset. */
  get tokenResets(): number {
    return this.credentials.resets;
  }

  /** http://127.0.0.1:PORT: Discord's web origin (/oauth2/authorize) in the simulator. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}${GATEWAY_PATH}`;
  }

  /** READY's resume_gateway_url: distinct from gatewayUrl, as on Discord. */
  get resumeGatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}${RESUME_PATH}`;
  }

  get replies(): RecordedReply[] {
    return this.interactions.replies;
  }

  get registeredCommands(): {
    global: readonly APIApplicationCommand[];
    guild: ReadonlyMap<string, readonly APIApplicationCommand[]>;
  } {
    return this.commands;
  }

  /** Every IDENTIFY accepted (refused ones are in `identifyAttempts`). */
  get identifyLog(): { shard: number; at: number }[] {
    return this.gateway.identifyLog.filter((x) => !x.refused);
  }

  /** Every IDENTIFY with a valid token, with the reason when the gateway refused it. */
  get identifyAttempts(): readonly IdentifyRecord[] {
    return this.gateway.identifyLog;
  }

  /** Gateway messages received from clients, by opcode (8: REQUEST_GUILD_MEMBERS). */
  gatewayMessages(op: number): number {
    return this.gateway.received.get(op) ?? 0;
  }

  /** REQUEST_GUILD_MEMBERS answered (per guild), refused with RATE_LIMITED, and GUILD_MEMBERS_CHUNKs sent. */
  get memberRequests(): Readonly<{ answered: number; rateLimited: number; chunks: number }> {
    return this.gateway.memberRequests;
  }

  /** IDENTIFYs refused for coming within 5 s of another in their max_concurrency bucket (answered op 9). */
  get identifyViolations(): number {
    return this.gateway.identifyLog.filter((x) => x.refused === 'concurrency').length;
  }

  /** Resumes accepted, by the URL the client came in through ('resume' is READY's resume_gateway_url). */
  get resumes(): Readonly<{ gateway: number; resume: number }> {
    return this.gateway.resumes;
  }

  /** REST requests served and organic 429s by scope (a bot that reads the rate-limit headers gets none). */
  get restStats(): Readonly<RestStats> {
    return this.rest.stats;
  }

  /** How often the gateway closed a connection with each close code. */
  get gatewayCloses(): ReadonlyMap<number, number> {
    return this.gateway.closes;
  }

  /** Shard that holds the guild, by the shard count connected clients identified with (else the recommended one). */
  shardOf(guildId: string): number {
    return shardForGuild(guildId, this.gateway.totalShards() ?? this.recommendedShards);
  }

  readyShards(): number[] {
    return this.gateway.readyShards();
  }

  /**
   * The shard's open session and the sequence number of the last dispatch sent on it (undefined while the
   * shard has none). A client that has received that sequence in that session has every event sent before:
   * a test's barrier before it moves its clock, so each event is stamped on both sides before the jump.
   */
  lastDispatch(shardId: number): { sessionId: string; seq: number } | undefined {
    const s = this.gateway.openSession(shardId);
    return s && { sessionId: s.id, seq: s.seq };
  }

  async waitForShards(count: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.readyShards().length < count) {
      if (Date.now() > deadline)
        throw new Error(`only shards [${this.readyShards().join(',')}] ready after ${timeoutMs} ms, wanted ${count}`);
      await sleep(20);
    }
  }

  /**
   * Dispatches any guild event to the guild's shard (intent-gated), for scenarios beyond chat messages
   * (reactions, voice states, member joins). The payload is sent as given.
   */
  dispatchGuildEvent<E extends GatewayDispatchEvents>(guildId: string, event: E, data: DispatchData<E>): number {
    return this.gateway.dispatchToGuild(guildId, event, data);
  }

  /** Dispatches MESSAGE_CREATE on the guild's shard now and records it in the ground truth. */
  sendMessage(m: SendMessage): SentMessage {
    return this.createMessage(m, true);
  }

  /**
   * Lays down a message that exists in the channel's history (ground truth, GET /channels/{id}/messages)
   * without any gateway delivery: what a server holds from before the bot joined, or from while it was
   * offline. `timestamp` gives its creation time.
   */
  seedHistory(m: SendMessage & { timestamp: number }): SentMessage {
    return this.createMessage(m, false);
  }

  /**
   * A ChatSink whose messages become history instead of gateway traffic: any scenario driver (emoji,
   * mention, app traffic) lays down a past of [fromMs, toMs) through it, its truth recorded as usual.
   * Reactions have no history Discord could page through: this sink refuses them.
   */
  historyChat(o: { fromMs: number; toMs: number; seed?: number }): ChatSink & { truth: GroundTruth } {
    const clock = new HistoryClock(o.toMs - o.fromMs, o.toMs, o.seed ?? 0x5eed);
    return {
      world: this.world,
      truth: this.truth,
      sendMessage: (m) => this.seedHistory({ ...m, timestamp: clock.next() }),
      react: () => {
        throw new Error('reactions cannot be laid down as history');
      },
      newSnowflake: (atMs) => this.ids.next(atMs),
    };
  }

  /** Replaces a channel's permission overwrites and dispatches CHANNEL_UPDATE (THREAD_UPDATE for a thread). */
  setChannelOverwrites(channelId: string, overwrites: SimOverwrite[]): void {
    const ch = this.world.channel(channelId);
    if (!ch) throw new Error(`unknown channel ${channelId}`);
    ch.overwrites = overwrites.map((o) => ({ ...o }));
    const event =
      ch.type === ChannelKind.PublicThread ? GatewayDispatchEvents.ThreadUpdate : GatewayDispatchEvents.ChannelUpdate;
    this.gateway.dispatchToGuild(ch.guildId, event, channelJson(ch) as DispatchData<typeof event>);
  }

  private createMessage(m: SendMessage, deliver: boolean): SentMessage {
    const guild = this.world.guild(m.guildId);
    if (!guild) throw new Error(`unknown guild ${m.guildId}`);
    const channel = this.world.channel(m.channelId);
    if (!channel || channel.guildId !== guild.id)
      throw new Error(`channel ${m.channelId} is not in guild ${m.guildId}`);
    if (channel.type === ChannelKind.Category || channel.type === ChannelKind.Forum)
      throw new Error(`channel ${m.channelId} (type ${channel.type}) cannot hold messages`);
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
      reply: m.replyTo !== undefined,
      stickers: m.stickers ?? 0,
      embeds: m.embeds ?? 0,
    });
    if (m.emojis && !webhook && !member?.user.bot)
      for (const e of m.emojis) this.truth.recordEmojiUse(guild.id, m.authorId, e, 'message', 1, channel.id);
    const x = m.interaction;
    if (x && x.type === 2 && !x.originalResponseMessageId && x.applicationId !== this.world.application.id) {
      this.truth.recordAppUse(guild.id, channel.id, x.userId, x.applicationId ?? m.authorId, x.name ?? UNKNOWN_COMMAND);
    }
    const stored = {
      id,
      authorId: m.authorId,
      content,
      attachments,
      webhook,
      timestamp: now,
      interaction: m.interaction,
      replyTo: m.replyTo,
      stickers: m.stickers,
      embeds: m.embeds,
    };
    this.history.add(channel.id, stored);
    if (deliver) {
      const payload = messageCreateJson({ ...stored, guild, channel }, `http://127.0.0.1:${this.port}/attachments`);
      this.gateway.dispatchToGuild(guild.id, GatewayDispatchEvents.MessageCreate, payload, this.gateContent);
    }
    return { id, timestamp: now };
  }

  /** Sends `messages` random realistic messages, paced at ratePerSec or as fast as the sockets drain. */
  async sendTraffic(opts: TrafficOptions): Promise<TrafficSummary> {
    const planner = new TrafficPlanner(this.world, opts.seed ?? 0x5eed, opts.guildIds);
    const summary: TrafficSummary = { sent: 0, humans: 0, bots: 0, webhooks: 0, withAttachments: 0, durationMs: 0 };
    const started = Date.now();
    const history = opts.historyMs ? new HistoryClock(opts.historyMs, started, opts.seed ?? 0x5eed) : undefined;
    // The last message per channel, for planned replies (the first in a channel is sent as a plain message).
    const last = new Map<string, { id: string; authorId: string }>();
    const sendOne = () => {
      const { reply, ...p } = planner.next();
      const prev = reply && last.get(p.channelId);
      const replyTo = prev ? { messageId: prev.id, authorId: prev.authorId, ping: reply.ping } : undefined;
      const sent = this.sendMessage({
        ...p,
        ...(history ? { timestamp: history.next() } : {}),
        ...(replyTo ? { replyTo } : {}),
      });
      last.set(p.channelId, { id: sent.id, authorId: p.authorId });
      summary.sent++;
      if (p.kind === 'human') summary.humans++;
      else if (p.kind === 'bot') summary.bots++;
      else summary.webhooks++;
      if (p.attachments) summary.withAttachments++;
    };
    while (summary.sent < opts.messages) {
      let due = opts.messages - summary.sent;
      if (opts.ratePerSec)
        due = Math.min(due, Math.floor(((Date.now() - started) * opts.ratePerSec) / 1000) - summary.sent);
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
    if (r.remove)
      return void this.gateway.dispatchToGuild(
        r.guildId,
        GatewayDispatchEvents.MessageReactionRemove,
        reactionRemoveJson(r),
      );
    if (!member.user.bot)
      this.truth.recordEmojiUse(r.guildId, r.userId, reactionTruthKey(r.emoji), 'reaction', 1, r.channelId);
    this.gateway.dispatchToGuild(r.guildId, GatewayDispatchEvents.MessageReactionAdd, reactionAddJson(r, member));
  }

  /** A fresh snowflake from the simulator's generator (message, interaction ids), for `atMs` (default now). */
  newSnowflake(atMs?: number): string {
    return this.ids.next(atMs);
  }

  /**
   * Sends INTERACTION_CREATE and resolves with the bot's final reply (see RecordedReply.kind). Every
   * invocation is a command use in the ground truth (application, command, user, channel).
   */
  invokeCommand(c: InvokeCommand): Promise<RecordedReply> {
    const data = commandData(c, {
      world: this.world,
      commandId: this.commands.idFor(c.guildId, c.name) ?? this.ids.next(),
      newId: () => this.ids.next(),
      attachmentsUrl: `http://127.0.0.1:${this.port}/attachments`,
    });
    const { payload, reply } = this.interactions.create(c, data);
    this.truth.recordAppUse(c.guildId, c.channelId, c.userId, this.world.application.id, invokedCommandName(c));
    if (this.endpointUrl) {
      void this.deliverOverHttp(this.endpointUrl, payload);
      return reply;
    }
    const delivered = this.gateway.dispatchToGuild(c.guildId, GatewayDispatchEvents.InteractionCreate, payload);
    if (delivered === 0)
      this.logger.warn({ guild: c.guildId, command: c.name }, 'interaction sent while no session holds the guild');
    return reply;
  }

  /**
   * Clicks a button on a message the bot sent (MESSAGE_COMPONENT interaction) and resolves with the bot's
   * response: the clicked message updated (callback 7, or 6 then an edit of @original), a reply or a
   * follow-up. Not a command use in the ground truth.
   */
  clickButton(c: ClickButton): Promise<RecordedReply> {
    const { payload, reply } = this.interactions.createClick(c);
    if (this.endpointUrl) {
      void this.deliverOverHttp(this.endpointUrl, payload);
      return reply;
    }
    const delivered = this.gateway.dispatchToGuild(c.guildId, GatewayDispatchEvents.InteractionCreate, payload);
    if (delivered === 0)
      this.logger.warn({ guild: c.guildId, button: c.customId }, 'button click sent while no session holds the guild');
    return reply;
  }

  /** The application's public key as the developer portal shows it (64 hex digits). */
  get publicKey(): string {
    return this.applicationKeys.publicKeyHex;
  }

  get interactionsEndpointUrl(): string | null {
    return this.endpointUrl;
  }

  /**
   * Sets the application's Interactions Endpoint URL as the developer portal does: the URL is checked first
   * (a signed PING must get PONG, a request with an invalid signature must be refused) and rejected with
   * the reason otherwise. From then on interactions are POSTed there instead of sent over the gateway;
   * null goes back to the gateway.
   */
  async setInteractionsEndpoint(url: string | null): Promise<void> {
    if (url !== null) {
      const problem = await validateEndpoint(url, this.applicationKeys, this.world.application.id, this.ackTimeoutMs);
      if (problem) throw new Error(`interactions endpoint URL rejected: ${problem}`);
    }
    this.endpointUrl = url;
  }

  /**
   * How long the simulator takes to apply an endpoint's HTTP reply once it has it (default 0). Discord
   * applies it on its own time too: an edit of @original that arrives meanwhile finds no message (10008).
   */
  endpointResponseLagMs = 0;

  /**
   * POSTs a signed interaction to the endpoint; its HTTP response is the interaction's first response and
   * counts only if it comes within the acknowledgement window (the callback route enforces the same).
   */
  private async deliverOverHttp(url: string, payload: { id: string; token: string }): Promise<void> {
    const body = JSON.stringify(payload);
    const started = performance.now();
    const res = await postToEndpoint(url, body, { ...this.applicationKeys.sign(body) }, this.ackTimeoutMs);
    if (this.endpointResponseLagMs > 0) await new Promise((r) => setTimeout(r, this.endpointResponseLagMs));
    const delivery: EndpointDelivery = {
      interactionId: payload.id,
      status: res.status,
      ms: performance.now() - started,
    };
    if (res.error) delivery.error = res.error;
    else if (res.status !== 200 || typeof res.json !== 'object' || res.json === null)
      delivery.error = `endpoint answered ${res.status}${res.json === null ? ' without a JSON body' : ''}`;
    else {
      const applied = this.interactions.callback(
        payload.id,
        payload.token,
        res.json as Record<string, unknown>,
        [],
        false,
      );
      if ('body' in applied && applied.status >= 400)
        delivery.error = `response refused: ${JSON.stringify(applied.body)}`;
    }
    if (delivery.error)
      this.logger.warn(
        { interaction: payload.id, error: delivery.error },
        'interaction failed: the application did not respond',
      );
    if (this.endpointDeliveries.length >= 10_000) this.endpointDeliveries.shift();
    this.endpointDeliveries.push(delivery);
  }

  /**
   * POSTs `body` to the endpoint as Discord would, with signature headers from `sign` (default: valid for
   * `body` now): for tests of the endpoint's defences (forged signatures, stale timestamps, odd bodies).
   */
  async postToEndpoint(
    body: string | Buffer,
    headers: Record<string, string> = { ...this.applicationKeys.sign(body) },
  ): Promise<{ status: number; json: unknown }> {
    if (!this.endpointUrl) throw new Error('no interactions endpoint URL is set');
    return postToEndpoint(this.endpointUrl, body, headers, this.ackTimeoutMs);
  }

  private serveReplyAttachment(path: string, res: ServerResponse): void {
    const [, , , messageId, index] = path.split('/');
    const file = messageId && index ? this.interactions.attachment(messageId, Number(index)) : undefined;
    if (!file)
      return void res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: '404: Not Found', code: 0 }));
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

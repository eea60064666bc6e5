// Gateway v10 (JSON) over WebSocket: HELLO/IDENTIFY/READY, GUILD_CREATE per shard guild, heartbeats,
// sequence numbers, RESUME with replay at a resume URL of its own, op 8 member chunks, RECONNECT /
// INVALID_SESSION, close codes, zlib-stream transport compression, and Discord's limits (limits.ts).
// A session outlives its socket: dispatches for a disconnected session are kept so a RESUME replays them.
// Rules cite Discord's documentation (github.com/discord/discord-api-docs, developers/events/*.mdx).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GatewayCloseCodes as Close,
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes as Op,
  type GatewayDispatchPayload,
  type GatewayGuildMembersChunkDispatchData,
  type GatewayHelloData,
  type GatewayRateLimitedDispatchData,
  type GatewayReadyDispatchData,
} from 'discord-api-types/v10';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Logger } from 'pino';
import type { Credentials, SessionStartBudget } from './credentials.js';
import { intentFor, KNOWN_INTENTS } from './intents.js';
import { Window, type Limits } from './limits.js';
import { guildCreateJson, memberJson, presenceJson, userJson } from './payloads.js';
import { shardForGuild } from './snowflake.js';
import { Transport } from './transport.js';
import type { SimGuild, SimMember, World } from './world.js';

/** The payload type of a dispatch event, from Discord's definitions. */
export type DispatchData<E extends GatewayDispatchEvents> = Extract<GatewayDispatchPayload, { t: E }>['d'];

/** Close codes after which the session can still be resumed; any other code (4007, 4008, 4009: "start a new session") ends it. */
const RESUMABLE_CLOSES = new Set<number>([Close.UnknownError, Close.UnknownOpcode, Close.DecodeError]);
const MAX_GUILDS_PER_SHARD = 2500;
/** GUILD_MEMBERS_CHUNK carries up to 1000 members (gateway-events.mdx, "Request Guild Members"). */
const MEMBER_CHUNK = 1000;
/** Queries and user-id requests return at most 100 members (same section). */
const MEMBER_QUERY_MAX = 100;
/** One request for a guild's whole member list per 30 s (change-log.mdx, August 14, 2025). */
const ALL_MEMBERS_INTERVAL_MS = 30_000;
/** A nonce longer than this is ignored and not echoed (gateway-events.mdx, "Request Guild Members"). */
const NONCE_MAX_BYTES = 32;
/** Client payloads per connection per window, and the largest one (events/gateway.mdx). */
const SENDS_PER_WINDOW = 120;
const SEND_WINDOW_MS = 60_000;
const MAX_PAYLOAD_BYTES = 4096;
/** Without the presence intent, or past this size, GUILD_CREATE lists only the bot and voice members. */
const HUGE_GUILD = 75_000;
/**
 * Frames kept per session for replay. Heartbeats trim what the client confirmed, but at 10k msg/s a
 * 41 s heartbeat interval would otherwise pile up ~400 MB; past the cap a RESUME gets INVALID_SESSION.
 */
const HISTORY_CAP = 100_000;
/** How long a disconnected session stays resumable before it is discarded (Discord: a few minutes). */
const RESUME_WINDOW_MS = 3 * 60 * 1000;
const TRACE = ['["sim-gateway",{"micros":0}]'];

export interface GatewayOptions {
  world: World;
  credentials: Credentials;
  heartbeatIntervalMs: number;
  logger: Logger;
  /** ws://host:port/gateway, known only once the server listens. */
  gatewayUrl: () => string;
  /** READY's resume_gateway_url: where a client should resume (events/gateway.mdx, "Preparing to Resume"). */
  resumeUrl: () => string;
  sessionStart: SessionStartBudget;
  limits: Limits;
  /** Privileged intents the application has enabled; IDENTIFY with another one is closed with 4014. */
  allowedPrivilegedIntents: number;
}

/** Every IDENTIFY that reached the gateway with a valid token, accepted or not. */
export interface IdentifyRecord {
  shard: number;
  at: number;
  /** Why it was refused, if it was. */
  refused?: 'concurrency' | 'session-start-limit';
}

interface Frame {
  s: number;
  text: string;
}

export class Session {
  readonly id = randomBytes(16).toString('hex');
  seq = 0;
  conn: Connection | null = null;
  /** Frames not yet confirmed by a heartbeat, oldest first, for RESUME replay. */
  history: Frame[] = [];
  /** Highest sequence dropped from history: a RESUME from before it cannot be served. */
  trimmedThrough = 0;
  detachedAt = 0;

  constructor(
    readonly shardId: number,
    readonly shardCount: number,
    readonly intents: number,
    readonly largeThreshold: number,
  ) {}

  /** Drops the socket; the session keeps buffering until resumed, or is forgotten after the resume window. */
  detach(onExpire: () => void): void {
    this.conn = null;
    const detachedAt = (this.detachedAt = Date.now());
    setTimeout(() => {
      if (this.conn === null && this.detachedAt === detachedAt) onExpire();
    }, RESUME_WINDOW_MS).unref();
  }

  get open(): boolean {
    return this.conn !== null && this.conn.transport.open;
  }

  /** Stamps the next sequence number, keeps the frame for replay and sends it if a socket is attached. */
  dispatch(t: string, dataJson: string): void {
    const s = ++this.seq;
    const text = `{"op":0,"s":${s},"t":${JSON.stringify(t)},"d":${dataJson}}`;
    this.history.push({ s, text });
    if (this.history.length > HISTORY_CAP * 1.25)
      this.trimHistory(this.history[this.history.length - HISTORY_CAP - 1]!.s);
    if (this.open) this.conn!.transport.send(text);
  }

  trimHistory(throughSeq: number): void {
    let i = 0;
    while (i < this.history.length && this.history[i]!.s <= throughSeq) i++;
    if (i > 0) {
      this.trimmedThrough = this.history[i - 1]!.s;
      this.history.splice(0, i);
    }
  }
}

class Connection {
  session: Session | null = null;
  heartbeatDeadline: NodeJS.Timeout | null = null;
  /** Set when the server closes the socket on purpose, to tell that apart from a client-initiated close. */
  serverClosing = false;
  readonly sends: Window;

  constructor(
    readonly transport: Transport,
    /** 'resume' when the client came in through READY's resume_gateway_url. */
    readonly via: 'gateway' | 'resume',
  ) {
    this.sends = new Window(SENDS_PER_WINDOW, SEND_WINDOW_MS, Date.now());
  }

  send(op: Op, d: unknown): void {
    this.transport.send(JSON.stringify({ op, d, s: null, t: null }));
  }
}

export class Gateway {
  readonly sessions = new Map<string, Session>();
  readonly identifyLog: IdentifyRecord[] = [];
  /** Resumes accepted, by the URL the client came in through. */
  readonly resumes = { gateway: 0, resume: 0 };
  /** Connections the gateway closed, by close code. */
  readonly closes = new Map<number, number>();
  /** Messages received from clients, by opcode (e.g. 8: member requests). */
  readonly received = new Map<number, number>();
  // Above Discord's 4096 bytes so the limit is ours to enforce (close 4002), and switchable.
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  private readonly conns = new Set<Connection>();
  /** Last whole-member-list request per session|guild (op 8 limit). */
  private readonly allMembersAt = new Map<string, number>();
  /** REQUEST_GUILD_MEMBERS answered (per guild), refused with RATE_LIMITED, and the chunks sent. */
  readonly memberRequests = { answered: 0, rateLimited: 0, chunks: 0 };
  private malformedCounter = 0;

  constructor(private readonly o: GatewayOptions) {}

  /** `via`: the gateway URL or READY's resume URL; the query carries v, encoding and compress. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, via: 'gateway' | 'resume'): void {
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    const compress = params.get('compress');
    if (compress !== null && compress !== 'zlib-stream') {
      // zstd-stream needs zstd, which Node 20 lacks: say so instead of sending frames the client cannot read.
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nthe simulator offers compress=zlib-stream only, not ${compress}\n`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, params, via));
  }

  private onConnection(ws: WebSocket, params: URLSearchParams, via: 'gateway' | 'resume'): void {
    const conn = new Connection(new Transport(ws, params.get('compress') === 'zlib-stream'), via);
    this.conns.add(conn);
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('close', (code) => this.onClose(conn, code));
    ws.on('error', (err) => this.o.logger.warn({ err }, 'gateway socket error'));
    if (params.get('v') && params.get('v') !== '10')
      return this.closeConn(conn, Close.InvalidAPIVersion, 'Invalid API version.');
    if (params.get('encoding') && params.get('encoding') !== 'json')
      return this.closeConn(conn, Close.DecodeError, 'Only JSON encoding is supported.');
    const hello: GatewayHelloData & { _trace: string[] } = {
      heartbeat_interval: this.o.heartbeatIntervalMs,
      _trace: TRACE,
    };
    conn.send(Op.Hello, hello);
    this.armHeartbeatDeadline(conn);
  }

  /** A client that misses heartbeats for 1.5 intervals is a zombie: closed, and its session ends (4009). */
  private armHeartbeatDeadline(conn: Connection): void {
    if (conn.heartbeatDeadline) clearTimeout(conn.heartbeatDeadline);
    conn.heartbeatDeadline = setTimeout(() => {
      this.o.logger.warn({ shard: conn.session?.shardId }, 'heartbeat missed, closing');
      this.closeConn(conn, Close.SessionTimedOut, 'Session timed out.');
    }, this.o.heartbeatIntervalMs * 1.5);
    conn.heartbeatDeadline.unref();
  }

  private onClose(conn: Connection, code: number): void {
    this.conns.delete(conn);
    if (conn.heartbeatDeadline) clearTimeout(conn.heartbeatDeadline);
    const session = conn.session;
    if (!session || session.conn !== conn) return;
    session.detach(() => this.sessions.delete(session.id));
    // A client closing with 1000/1001 ends its session (events/gateway.mdx, "Initiating a Disconnect");
    // any other code (discord.js's own 4200 "resuming") keeps it.
    if (!conn.serverClosing && (code === 1000 || code === 1001)) {
      this.sessions.delete(session.id);
      this.o.logger.debug({ shard: session.shardId, code }, 'client closed session');
    } else {
      this.o.logger.debug({ shard: session.shardId, code }, 'socket closed, session kept for resume');
    }
  }

  /** Closes a socket from the server side; the session survives only for resumable codes. */
  private closeConn(conn: Connection, code: number, reason: string): void {
    if (conn.serverClosing) return;
    conn.serverClosing = true;
    this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
    if (conn.heartbeatDeadline) clearTimeout(conn.heartbeatDeadline);
    const session = conn.session;
    if (session && session.conn === conn) {
      // Detach now so dispatches from this moment on are buffered, not written to a dying socket.
      session.detach(() => this.sessions.delete(session.id));
      if (!RESUMABLE_CLOSES.has(code)) this.sessions.delete(session.id);
    }
    conn.transport.close(code, reason);
  }

  private onMessage(conn: Connection, raw: RawData, isBinary: boolean): void {
    if (conn.serverClosing) return;
    const { limits } = this.o;
    if (limits.gatewaySends && !conn.sends.take(Date.now())) {
      this.o.logger.warn({ shard: conn.session?.shardId }, 'more than 120 gateway sends in 60 s, closing (4008)');
      return this.closeConn(conn, Close.RateLimited, 'Rate limited.');
    }
    const bytes = Array.isArray(raw)
      ? raw.reduce((n, b) => n + b.length, 0)
      : raw instanceof ArrayBuffer
        ? raw.byteLength
        : raw.length;
    if (limits.gatewayPayloadSize && bytes > MAX_PAYLOAD_BYTES) {
      this.o.logger.warn({ shard: conn.session?.shardId, bytes }, 'gateway payload over 4096 bytes, closing (4002)');
      return this.closeConn(conn, Close.DecodeError, 'Error while decoding payload.');
    }
    let p: { op?: unknown; d?: unknown };
    try {
      if (isBinary) throw new Error('binary frame');
      p = JSON.parse(raw.toString()) as { op?: unknown; d?: unknown };
      if (typeof p !== 'object' || p === null) throw new Error('not an object');
    } catch {
      return this.closeConn(conn, Close.DecodeError, 'Error while decoding payload.');
    }
    const d = (p.d ?? null) as Record<string, unknown> | number | null;
    if (typeof p.op === 'number') this.received.set(p.op, (this.received.get(p.op) ?? 0) + 1);
    switch (p.op) {
      case Op.Heartbeat:
        this.armHeartbeatDeadline(conn);
        // The client's last sequence: everything up to it was received, so it never needs replaying.
        if (typeof d === 'number' && conn.session) conn.session.trimHistory(d);
        conn.send(Op.HeartbeatAck, null);
        return;
      case Op.Identify:
        return this.identify(conn, (d ?? {}) as Record<string, unknown>);
      case Op.Resume:
        return this.resume(conn, (d ?? {}) as Record<string, unknown>);
      case Op.RequestGuildMembers:
        if (!conn.session) return this.closeConn(conn, Close.NotAuthenticated, 'Not authenticated.');
        return this.requestMembers(conn.session, (d ?? {}) as Record<string, unknown>);
      case Op.PresenceUpdate:
      case Op.VoiceStateUpdate:
      case Op.RequestSoundboardSounds:
        if (!conn.session) return this.closeConn(conn, Close.NotAuthenticated, 'Not authenticated.');
        return; // accepted and ignored: the simulated world has no presences or voice connections of the bot
      default:
        return this.closeConn(conn, Close.UnknownOpcode, 'Unknown opcode.');
    }
  }

  private identify(conn: Connection, d: Record<string, unknown>): void {
    if (conn.session) return this.closeConn(conn, Close.AlreadyAuthenticated, 'Already authenticated.');
    if (!this.o.credentials.valid(typeof d.token === 'string' ? d.token : undefined))
      return this.closeConn(conn, Close.AuthenticationFailed, 'Authentication failed.');
    const intents = d.intents;
    if (typeof intents !== 'number' || !Number.isInteger(intents) || intents < 0 || (intents & ~KNOWN_INTENTS) !== 0) {
      return this.closeConn(conn, Close.InvalidIntents, 'Invalid intent(s).');
    }
    // A privileged intent the application has not enabled (events/gateway.mdx, "Gateway Restrictions").
    const privileged =
      GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;
    if (intents & privileged & ~this.o.allowedPrivilegedIntents)
      return this.closeConn(conn, Close.DisallowedIntents, 'Disallowed intent(s).');
    const shard = Array.isArray(d.shard) ? d.shard : [0, 1];
    const [shardId, shardCount] = shard as [unknown, unknown];
    if (
      !Number.isInteger(shardId) ||
      !Number.isInteger(shardCount) ||
      (shardCount as number) < 1 ||
      (shardId as number) < 0 ||
      (shardId as number) >= (shardCount as number)
    ) {
      return this.closeConn(conn, Close.InvalidShard, 'Invalid shard.');
    }
    const sid = shardId as number;
    const n = shardCount as number;
    const guilds = [...this.o.world.guilds.values()].filter((g) => shardForGuild(g.id, n) === sid);
    if (guilds.length > MAX_GUILDS_PER_SHARD)
      return this.closeConn(conn, Close.ShardingRequired, 'Sharding is required.');

    const now = Date.now();
    const { limits, sessionStart } = this.o;
    const bucket = sid % sessionStart.maxConcurrency;
    const last = this.identifyLog.findLast((x) => !x.refused && x.shard % sessionStart.maxConcurrency === bucket);
    if (limits.identify && last && now - last.at < limits.identifyIntervalMs) {
      // Over max_concurrency: "the Gateway will respond with an Invalid Session (opcode 9)" (events/gateway.mdx,
      // "Identifying"). The socket stays open; the client identifies again after a while.
      this.identifyLog.push({ shard: sid, at: now, refused: 'concurrency' });
      this.o.logger.warn(
        { shard: sid, previous: last.shard, gapMs: now - last.at },
        'IDENTIFY within the interval of another in its max_concurrency bucket: INVALID_SESSION',
      );
      conn.send(Op.InvalidSession, false);
      return;
    }
    if (!sessionStart.take(now) && limits.sessionStart) {
      this.identifyLog.push({ shard: sid, at: now, refused: 'session-start-limit' });
      this.o.logger.error(
        { shard: sid },
        'IDENTIFY beyond the daily session start limit: every session terminated, token reset',
      );
      return this.exceedSessionStartLimit(conn);
    }
    this.identifyLog.push({ shard: sid, at: now });
    // A fresh IDENTIFY for a shard abandons any disconnected session of it; drop those so they stop buffering.
    for (const s of this.sessions.values())
      if (s.shardId === sid && s.shardCount === n && !s.conn) this.sessions.delete(s.id);

    // large_threshold: 50 to 250, default 50 (gateway-events.mdx, "Identify Structure").
    const largeThreshold = Math.min(250, Math.max(50, typeof d.large_threshold === 'number' ? d.large_threshold : 50));
    const session = new Session(sid, n, intents, largeThreshold);
    this.sessions.set(session.id, session);
    session.conn = conn;
    conn.session = session;
    this.o.logger.info({ shard: [sid, n], session: session.id, guilds: guilds.length, intents }, 'identified');

    const { world } = this.o;
    // READY's application is a partial object with id and flags (gateway-events.mdx, "Ready").
    const ready: Omit<GatewayReadyDispatchData, 'application'> & {
      application: { id: string; flags: number };
    } & Record<string, unknown> = {
      v: 10,
      user: { ...userJson(world.botUser), verified: true, mfa_enabled: false, email: null },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.o.resumeUrl(),
      shard: [sid, n],
      application: { id: world.application.id, flags: world.application.flags },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['sim-local'],
      user_settings: {},
      _trace: TRACE,
    };
    session.dispatch(GatewayDispatchEvents.Ready, JSON.stringify(ready));
    for (const g of guilds)
      session.dispatch(
        GatewayDispatchEvents.GuildCreate,
        JSON.stringify(
          guildCreateJson(g, {
            members: this.guildCreateMembers(g, session),
            largeThreshold,
            joinedAt: g.members.get(world.botUser.id)?.joinedAt ?? new Date(g.createdAt).toISOString(),
          }),
        ),
      );
  }

  /**
   * Members GUILD_CREATE carries (gateway-events.mdx, "Request Guild Members" and "Guild Create"): without
   * GUILD_PRESENCES or over 75k members, the bot and members in voice; otherwise over large_threshold,
   * members who are online, have a role or a nickname, or are in voice; otherwise everyone.
   */
  private guildCreateMembers(g: SimGuild, session: Session): SimMember[] {
    const all = [...g.members.values()];
    const bot = this.o.world.botUser.id;
    const inVoice = (m: SimMember) => g.voiceStates.has(m.user.id);
    if ((session.intents & GatewayIntentBits.GuildPresences) === 0 || all.length > HUGE_GUILD)
      return all.filter((m) => m.user.id === bot || inVoice(m));
    if (all.length <= session.largeThreshold) return all;
    const online = (m: SimMember) => (g.presences.get(m.user.id)?.status ?? 'offline') !== 'offline';
    return all.filter(
      (m) => m.user.id === bot || inVoice(m) || online(m) || m.nick !== null || m.roles.some((r) => r !== g.id),
    );
  }

  /** "All active sessions for the app will be terminated, the bot token will be reset" (events/gateway.mdx, "Identifying"). */
  private exceedSessionStartLimit(conn: Connection): void {
    this.o.credentials.reset();
    for (const c of [...this.conns])
      if (c !== conn && c.session) this.closeConn(c, Close.AuthenticationFailed, 'Authentication failed.');
    this.closeConn(conn, Close.AuthenticationFailed, 'Authentication failed.');
    this.sessions.clear();
  }

  private resume(conn: Connection, d: Record<string, unknown>): void {
    if (!this.o.credentials.valid(typeof d.token === 'string' ? d.token : undefined))
      return this.closeConn(conn, Close.AuthenticationFailed, 'Authentication failed.');
    if (conn.session) return this.closeConn(conn, Close.AlreadyAuthenticated, 'Already authenticated.');
    const session = this.sessions.get(String(d.session_id));
    const seq = typeof d.seq === 'number' ? d.seq : -1;
    if (session && seq > session.seq) {
      // A sequence the session never reached: "Invalid seq" (opcodes-and-status-codes.mdx, close code 4007).
      this.o.logger.info(
        { session: session.id, seq, last: session.seq },
        'resume with a sequence beyond the session: 4007',
      );
      this.sessions.delete(session.id);
      return this.closeConn(conn, Close.InvalidSeq, 'Invalid seq.');
    }
    if (!session || seq < session.trimmedThrough) {
      // Gone (expired, ended, or no longer replayable): "Invalid Session (opcode 9)", d false (events/gateway.mdx, "Resuming").
      this.o.logger.info({ session: d.session_id, seq }, 'resume refused, invalid session');
      if (session) this.sessions.delete(session.id);
      conn.send(Op.InvalidSession, false);
      return;
    }
    const previous = session.conn;
    if (previous && previous !== conn) {
      previous.session = null;
      this.closeConn(previous, Close.UnknownError, 'Session resumed elsewhere.');
    }
    session.conn = conn;
    conn.session = session;
    this.resumes[conn.via]++;
    const missed = session.history.filter((f) => f.s > seq);
    for (const f of missed) conn.transport.send(f.text);
    this.o.logger.info({ shard: session.shardId, replayed: missed.length, via: conn.via }, 'resumed');
    session.dispatch(GatewayDispatchEvents.Resumed, JSON.stringify({ _trace: TRACE }));
  }

  /** REQUEST_GUILD_MEMBERS, with the rules of gateway-events.mdx "Request Guild Members" when the limit is on. */
  private requestMembers(session: Session, d: Record<string, unknown>): void {
    const strict = this.o.limits.requestGuildMembers;
    const ids = Array.isArray(d.guild_id) ? d.guild_id.map(String) : [String(d.guild_id)];
    // "You will be limited to requesting 1 guild_id per request."
    if (strict && ids.length !== 1)
      return void this.o.logger.warn(
        { guilds: ids.length },
        'REQUEST_GUILD_MEMBERS for several guilds ignored: one guild per request',
      );
    const query = typeof d.query === 'string' ? d.query : undefined;
    const limit = typeof d.limit === 'number' && d.limit > 0 ? d.limit : 0;
    const userIds =
      d.user_ids === undefined ? null : (Array.isArray(d.user_ids) ? d.user_ids : [d.user_ids]).map(String);
    const everyone = userIds === null && (query ?? '') === '';
    const nonce =
      typeof d.nonce === 'string' && (!strict || Buffer.byteLength(d.nonce) <= NONCE_MAX_BYTES) ? d.nonce : undefined;
    // "GUILD_PRESENCES intent is required to set presences = true. Otherwise, it will always be false."
    const presences = d.presences === true && (!strict || (session.intents & GatewayIntentBits.GuildPresences) !== 0);
    for (const gid of ids) {
      const g = this.o.world.guilds.get(gid);
      if (!g || shardForGuild(gid, session.shardCount) !== session.shardId) continue;
      if (strict && everyone) {
        // "GUILD_MEMBERS intent is required to request the entire member list"; Discord answers nothing.
        if ((session.intents & GatewayIntentBits.GuildMembers) === 0)
          return void this.o.logger.warn(
            { guild: gid },
            'REQUEST_GUILD_MEMBERS for every member without GUILD_MEMBERS: no answer, as on Discord',
          );
        if (limit === 0) {
          const key = `${session.id}|${gid}`;
          const last = this.allMembersAt.get(key);
          const now = Date.now();
          if (last !== undefined && now - last < ALL_MEMBERS_INTERVAL_MS) {
            const limited: GatewayRateLimitedDispatchData<Op.RequestGuildMembers> = {
              opcode: Op.RequestGuildMembers,
              retry_after: (last + ALL_MEMBERS_INTERVAL_MS - now) / 1000,
              meta: { guild_id: gid, ...(nonce !== undefined ? { nonce } : {}) },
            };
            session.dispatch(GatewayDispatchEvents.RateLimited, JSON.stringify(limited));
            this.memberRequests.rateLimited++;
            return;
          }
          this.allMembersAt.set(key, now);
        }
      }
      let members = [...g.members.values()];
      let notFound: string[] = [];
      if (userIds) {
        const wanted = strict ? userIds.slice(0, MEMBER_QUERY_MAX) : userIds;
        members = members.filter((m) => wanted.includes(m.user.id));
        notFound = wanted.filter((id) => !g.members.has(id));
      } else if (query) {
        const q = query.toLowerCase();
        members = members.filter((m) => m.user.username.startsWith(q) || (m.nick ?? '').toLowerCase().startsWith(q));
        members = members.slice(0, strict ? Math.min(limit || MEMBER_QUERY_MAX, MEMBER_QUERY_MAX) : limit || Infinity);
      } else if (limit > 0) members = members.slice(0, limit);
      const chunkCount = Math.max(1, Math.ceil(members.length / MEMBER_CHUNK));
      this.memberRequests.answered++;
      this.memberRequests.chunks += chunkCount;
      for (let i = 0; i < chunkCount; i++) {
        const part = members.slice(i * MEMBER_CHUNK, (i + 1) * MEMBER_CHUNK);
        const chunk: GatewayGuildMembersChunkDispatchData = {
          guild_id: gid,
          members: part.map(memberJson),
          chunk_index: i,
          chunk_count: chunkCount,
        };
        if (i === 0 && notFound.length) chunk.not_found = notFound;
        if (presences)
          chunk.presences = part.flatMap((m) => {
            const p = g.presences.get(m.user.id);
            return p ? [presenceJson(m.user.id, p, gid)] : [];
          });
        if (nonce !== undefined) chunk.nonce = nonce;
        session.dispatch(GatewayDispatchEvents.GuildMembersChunk, JSON.stringify(chunk));
      }
    }
  }

  /** Sessions whose shard holds the guild (normally one; two clients may share a shard). */
  sessionsForGuild(guildId: string): Session[] {
    const out: Session[] = [];
    for (const s of this.sessions.values()) if (shardForGuild(guildId, s.shardCount) === s.shardId) out.push(s);
    return out;
  }

  sessionsForShard(shardId: number): Session[] {
    return [...this.sessions.values()].filter((s) => s.shardId === shardId);
  }

  /**
   * Sends a guild event to every session on the guild's shard that asked for its intent. `variant` lets the
   * caller build an intent-dependent payload (message content is blanked without MESSAGE_CONTENT).
   */
  dispatchToGuild<E extends GatewayDispatchEvents>(
    guildId: string,
    t: E,
    d: DispatchData<E>,
    variant?: (d: DispatchData<E>, intents: number) => DispatchData<E>,
  ): number {
    const need = intentFor(t);
    let delivered = 0;
    let plain: string | null = null;
    for (const s of this.sessionsForGuild(guildId)) {
      if (need && (s.intents & need) === 0) continue;
      if (variant) s.dispatch(t, JSON.stringify(variant(d, s.intents)));
      else s.dispatch(t, (plain ??= JSON.stringify(d)));
      delivered++;
    }
    return delivered;
  }

  /** Total shard count of identified sessions (the client's view), or null before any identify. */
  totalShards(): number | null {
    for (const s of this.sessions.values()) return s.shardCount;
    return null;
  }

  readyShards(): number[] {
    const ids = new Set<number>();
    for (const s of this.sessions.values()) if (s.open) ids.add(s.shardId);
    return [...ids].sort((a, b) => a - b);
  }

  /** The open session of `shardId`, if any. */
  openSession(shardId: number): Session | undefined {
    for (const s of this.sessions.values()) if (s.open && s.shardId === shardId) return s;
    return undefined;
  }

  /** Largest amount of unsent data on any socket, for traffic backpressure. */
  maxBufferedAmount(): number {
    let max = 0;
    for (const c of this.conns) max = Math.max(max, c.transport.bufferedAmount);
    return max;
  }

  // ---- faults ----

  dropConnection(shardId: number, closeCode: number = Close.UnknownError): void {
    for (const s of this.sessionsForShard(shardId))
      if (s.conn) this.closeConn(s.conn, closeCode, 'simulated disconnect');
  }

  invalidSession(shardId: number, resumable: boolean): void {
    for (const s of this.sessionsForShard(shardId)) {
      const conn = s.conn;
      if (!conn) continue;
      if (!resumable) {
        // The socket stays open and may IDENTIFY afresh on it.
        this.sessions.delete(s.id);
        s.conn = null;
        conn.session = null;
      }
      conn.send(Op.InvalidSession, resumable);
    }
  }

  reconnect(shardId: number): void {
    for (const s of this.sessionsForShard(shardId)) {
      const conn = s.conn;
      if (!conn) continue;
      conn.send(Op.Reconnect, null);
      // Discord closes the socket itself shortly after op 7 if the client has not.
      setTimeout(() => {
        if (conn.transport.open) this.closeConn(conn, Close.UnknownError, 'reconnect');
      }, 5000).unref();
    }
  }

  /** Dispatches the client must survive: unknown events and known events referring to things it never saw. */
  sendMalformed(shardId: number): void {
    const variants: [string, unknown][] = [
      ['SIM_UNKNOWN_EVENT', { garbage: true, nested: [null, 1, 'x'] }],
      ['MESSAGE_CREATE', { id: '1', channel_id: '2', guild_id: '3', content: 42, author: null }],
      ['MESSAGE_REACTION_ADD', { user_id: '4', channel_id: '5', message_id: '6', emoji: { id: null, name: '?' } }],
      ['SIM_NULL_EVENT', null],
      ['MESSAGE_DELETE', { id: '7', channel_id: '8' }],
    ];
    const [t, d] = variants[this.malformedCounter++ % variants.length]!;
    for (const s of this.sessionsForShard(shardId)) s.dispatch(t, JSON.stringify(d));
  }

  close(): void {
    for (const c of [...this.conns]) {
      c.serverClosing = true;
      if (c.heartbeatDeadline) clearTimeout(c.heartbeatDeadline);
      c.transport.terminate();
    }
    this.conns.clear();
    this.sessions.clear();
    this.wss.close();
  }
}

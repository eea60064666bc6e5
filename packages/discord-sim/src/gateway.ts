// Gateway v10 (JSON text frames) over WebSocket: HELLO/IDENTIFY/READY, GUILD_CREATE per shard guild,
// heartbeats, sequence numbers, RESUME with replay, op 8 member chunks, RECONNECT/INVALID_SESSION and close codes.
// A session outlives its socket: dispatches for a disconnected session are kept so a RESUME replays them.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Logger } from 'pino';
import { Intent, intentFor } from './intents.js';
import { guildCreateJson, memberJson, userJson, type Json } from './payloads.js';
import { shardForGuild } from './snowflake.js';
import type { SimGuild, World } from './world.js';

export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  RequestSoundboardSounds: 31,
} as const;

export const Close = {
  UnknownError: 4000,
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
  InvalidSeq: 4007,
  RateLimited: 4008,
  SessionTimedOut: 4009,
  InvalidShard: 4010,
  ShardingRequired: 4011,
  InvalidApiVersion: 4012,
  InvalidIntents: 4013,
  DisallowedIntents: 4014,
} as const;

/** Close codes after which discord.js resumes; any other code ends the session. */
const RESUMABLE_CLOSES = new Set<number>([Close.UnknownError, Close.UnknownOpcode, Close.DecodeError, Close.RateLimited, Close.SessionTimedOut]);
const MAX_GUILDS_PER_SHARD = 2500;
const MEMBER_CHUNK = 1000;
/**
 * Frames kept per session for replay. Heartbeats trim what the client confirmed, but at 10k msg/s a
 * 41 s heartbeat interval would otherwise pile up ~400 MB; past the cap a RESUME gets INVALID_SESSION.
 */
const HISTORY_CAP = 100_000;
const IDENTIFY_WINDOW_MS = 5000;
/** How long a disconnected session stays resumable before it is discarded (Discord: a few minutes). */
const RESUME_WINDOW_MS = 3 * 60 * 1000;
/** Discord's gateway send limit: 120 messages per connection per 60 s, then close 4008. */
const SEND_LIMIT = 120;
const SEND_WINDOW_MS = 60_000;

export interface GatewayOptions {
  world: World;
  token: string;
  heartbeatIntervalMs: number;
  logger: Logger;
  /** ws://host:port/gateway, known only once the server listens. */
  gatewayUrl: () => string;
  /** Called for every IDENTIFY with a valid token (session_start_limit bookkeeping). */
  onIdentify: (shardId: number) => void;
  /** session_start_limit.max_concurrency: identifies allowed per 5 s per rate-limit key (shard % it). */
  maxConcurrency: number;
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

  detachedAt = 0;

  get open(): boolean {
    return this.conn !== null && this.conn.ws.readyState === WebSocket.OPEN;
  }

  /** Stamps the next sequence number, keeps the frame for replay and sends it if a socket is attached. */
  dispatch(t: string, dataJson: string): void {
    const s = ++this.seq;
    const text = `{"op":0,"s":${s},"t":${JSON.stringify(t)},"d":${dataJson}}`;
    this.history.push({ s, text });
    if (this.history.length > HISTORY_CAP * 1.25) this.trimHistory(this.history[this.history.length - HISTORY_CAP - 1]!.s);
    if (this.open) this.conn!.ws.send(text);
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
  /** Receipt times of the client's messages in the last minute (send rate limit). */
  readonly sends: number[] = [];

  constructor(readonly ws: WebSocket) {}

  send(op: number, d: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op, d, s: null, t: null }));
  }
}

export class Gateway {
  readonly sessions = new Map<string, Session>();
  readonly identifyLog: { shard: number; at: number }[] = [];
  /** IDENTIFYs that came within 5 s of another in the same max_concurrency bucket. */
  identifyViolations = 0;
  /** Messages received from clients, by opcode (e.g. 8: member requests). */
  readonly received = new Map<number, number>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 * 1024 });
  private readonly conns = new Set<Connection>();
  private malformedCounter = 0;

  constructor(private readonly o: GatewayOptions) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const conn = new Connection(ws);
    this.conns.add(conn);
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    if (params.get('v') && params.get('v') !== '10') return this.closeConn(conn, Close.InvalidApiVersion, 'only v10');
    if (params.get('encoding') && params.get('encoding') !== 'json') return this.closeConn(conn, Close.DecodeError, 'only json encoding');
    if (params.get('compress')) this.o.logger.warn({ compress: params.get('compress') }, 'transport compression requested; sending plain JSON');

    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('close', (code) => this.onClose(conn, code));
    ws.on('error', (err) => this.o.logger.warn({ err }, 'gateway socket error'));
    conn.send(Op.Hello, { heartbeat_interval: this.o.heartbeatIntervalMs, _trace: ['["sim-gateway",{"micros":0}]'] });
    this.armHeartbeatDeadline(conn);
  }

  /** A client that misses heartbeats for 1.5 intervals is considered a zombie and disconnected (resumable). */
  private armHeartbeatDeadline(conn: Connection): void {
    if (conn.heartbeatDeadline) clearTimeout(conn.heartbeatDeadline);
    conn.heartbeatDeadline = setTimeout(() => {
      this.o.logger.warn({ shard: conn.session?.shardId }, 'heartbeat missed, closing');
      this.closeConn(conn, Close.SessionTimedOut, 'heartbeat timeout');
    }, this.o.heartbeatIntervalMs * 1.5);
    conn.heartbeatDeadline.unref();
  }

  private onClose(conn: Connection, code: number): void {
    this.conns.delete(conn);
    if (conn.heartbeatDeadline) clearTimeout(conn.heartbeatDeadline);
    const session = conn.session;
    if (!session || session.conn !== conn) return;
    session.detach(() => this.sessions.delete(session.id));
    // A client closing with 1000/1001 ends its session on Discord; its own 4200 ("resuming") keeps it.
    if (!conn.serverClosing && (code === 1000 || code === 1001)) {
      this.sessions.delete(session.id);
      this.o.logger.debug({ shard: session.shardId, code }, 'client closed session');
    } else {
      this.o.logger.debug({ shard: session.shardId, code }, 'socket closed, session kept for resume');
    }
  }

  /** Closes a socket from the server side; the session survives only for resumable codes. */
  private closeConn(conn: Connection, code: number, reason: string): void {
    conn.serverClosing = true;
    if (conn.heartbeatDeadline) clearTimeout(conn.heartbeatDeadline);
    const session = conn.session;
    if (session && session.conn === conn) {
      // Detach now so dispatches from this moment on are buffered, not written to a dying socket.
      session.detach(() => this.sessions.delete(session.id));
      if (!RESUMABLE_CLOSES.has(code)) this.sessions.delete(session.id);
    }
    if (conn.ws.readyState === WebSocket.OPEN || conn.ws.readyState === WebSocket.CONNECTING) conn.ws.close(code, reason);
  }

  private onMessage(conn: Connection, raw: RawData, isBinary: boolean): void {
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
    const now = Date.now();
    while (conn.sends.length > 0 && conn.sends[0]! <= now - SEND_WINDOW_MS) conn.sends.shift();
    conn.sends.push(now);
    if (conn.sends.length > SEND_LIMIT) return this.closeConn(conn, Close.RateLimited, 'You are being rate limited.');
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
        return; // accepted and ignored: the simulated world has no presences or voice connections
      default:
        return this.closeConn(conn, Close.UnknownOpcode, 'Unknown opcode.');
    }
  }

  private identify(conn: Connection, d: Record<string, unknown>): void {
    if (conn.session) return this.closeConn(conn, Close.AlreadyAuthenticated, 'Already authenticated.');
    const token = String(d.token ?? '').replace(/^Bot\s+/i, '');
    if (token !== this.o.token) return this.closeConn(conn, Close.AuthenticationFailed, 'Authentication failed.');
    if (typeof d.intents !== 'number' || !Number.isInteger(d.intents) || d.intents < 0 || d.intents >= 1 << 26) {
      return this.closeConn(conn, Close.InvalidIntents, 'Invalid intent(s).');
    }
    const shard = Array.isArray(d.shard) ? d.shard : [0, 1];
    const [shardId, shardCount] = shard as [unknown, unknown];
    if (!Number.isInteger(shardId) || !Number.isInteger(shardCount) || (shardCount as number) < 1 || (shardId as number) < 0 || (shardId as number) >= (shardCount as number)) {
      return this.closeConn(conn, Close.InvalidShard, 'Invalid shard.');
    }
    const sid = shardId as number;
    const n = shardCount as number;
    const guilds = [...this.o.world.guilds.values()].filter((g) => shardForGuild(g.id, n) === sid);
    if (guilds.length > MAX_GUILDS_PER_SHARD) return this.closeConn(conn, Close.ShardingRequired, 'Sharding is required.');

    this.o.onIdentify(sid);
    const now = Date.now();
    const key = sid % this.o.maxConcurrency;
    const clash = this.identifyLog.findLast((x) => x.shard % this.o.maxConcurrency === key);
    if (clash && now - clash.at < IDENTIFY_WINDOW_MS) {
      // Discord would start punishing this; recorded so tests can assert the bot's identify throttling.
      this.identifyViolations++;
      this.o.logger.warn({ shard: sid, previous: clash.shard, gapMs: now - clash.at }, 'identify within 5 s of another in the same max_concurrency bucket');
    }
    this.identifyLog.push({ shard: sid, at: now });
    // A fresh IDENTIFY for a shard abandons any disconnected session of it; drop those so they stop buffering.
    for (const s of this.sessions.values()) if (s.shardId === sid && s.shardCount === n && !s.conn) this.sessions.delete(s.id);

    const largeThreshold = Math.min(250, Math.max(50, typeof d.large_threshold === 'number' ? d.large_threshold : 50));
    const session = new Session(sid, n, d.intents, largeThreshold);
    this.sessions.set(session.id, session);
    session.conn = conn;
    conn.session = session;
    this.o.logger.info({ shard: [sid, n], session: session.id, guilds: guilds.length, intents: d.intents }, 'identified');

    const { world } = this.o;
    session.dispatch('READY', JSON.stringify({
      v: 10,
      user: { ...userJson(world.botUser), verified: true, mfa_enabled: false, email: null },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.o.gatewayUrl(),
      shard: [sid, n],
      application: { id: world.application.id, flags: world.application.flags },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['sim-local'],
      user_settings: {},
      _trace: ['["sim-gateway",{"micros":0}]'],
    }));
    for (const g of guilds) session.dispatch('GUILD_CREATE', JSON.stringify(this.guildCreate(g, session)));
  }

  /** As on Discord: without GUILD_PRESENCES (or in large guilds) only the bot's own member is included. */
  private guildCreate(g: SimGuild, session: Session): Json {
    const all = [...g.members.values()];
    const full = (session.intents & Intent.GuildPresences) !== 0 && all.length <= session.largeThreshold;
    const self = g.members.get(this.o.world.botUser.id);
    return guildCreateJson(g, { members: full ? all : self ? [self] : [], largeThreshold: session.largeThreshold, joinedAt: self?.joinedAt ?? new Date(g.createdAt).toISOString() });
  }

  private resume(conn: Connection, d: Record<string, unknown>): void {
    const token = String(d.token ?? '').replace(/^Bot\s+/i, '');
    if (token !== this.o.token) return this.closeConn(conn, Close.AuthenticationFailed, 'Authentication failed.');
    const session = this.sessions.get(String(d.session_id));
    const seq = typeof d.seq === 'number' ? d.seq : -1;
    if (!session || seq < session.trimmedThrough || seq > session.seq) {
      this.o.logger.info({ session: d.session_id, seq }, 'resume refused, invalid session');
      if (session) this.sessions.delete(session.id);
      conn.send(Op.InvalidSession, false);
      return;
    }
    if (conn.session && conn.session !== session) return this.closeConn(conn, Close.AlreadyAuthenticated, 'Already authenticated.');
    const previous = session.conn;
    if (previous && previous !== conn) {
      previous.session = null;
      this.closeConn(previous, Close.UnknownError, 'Session resumed elsewhere.');
    }
    session.conn = conn;
    conn.session = session;
    const missed = session.history.filter((f) => f.s > seq);
    for (const f of missed) conn.ws.send(f.text);
    this.o.logger.info({ shard: session.shardId, replayed: missed.length }, 'resumed');
    session.dispatch('RESUMED', JSON.stringify({ _trace: ['["sim-gateway",{"micros":0}]'] }));
  }

  private requestMembers(session: Session, d: Record<string, unknown>): void {
    const ids = Array.isArray(d.guild_id) ? d.guild_id.map(String) : [String(d.guild_id)];
    const query = typeof d.query === 'string' ? d.query.toLowerCase() : '';
    const limit = typeof d.limit === 'number' && d.limit > 0 ? d.limit : Infinity;
    const userIds = d.user_ids === undefined ? null : (Array.isArray(d.user_ids) ? d.user_ids : [d.user_ids]).map(String);
    for (const gid of ids) {
      const g = this.o.world.guilds.get(gid);
      if (!g || shardForGuild(gid, session.shardCount) !== session.shardId) continue;
      let members = [...g.members.values()];
      if (userIds) members = members.filter((m) => userIds.includes(m.user.id));
      else if (query) members = members.filter((m) => m.user.username.startsWith(query) || (m.nick ?? '').toLowerCase().startsWith(query));
      members = members.slice(0, limit);
      const notFound = userIds ? userIds.filter((id) => !g.members.has(id)) : [];
      const chunkCount = Math.max(1, Math.ceil(members.length / MEMBER_CHUNK));
      for (let i = 0; i < chunkCount; i++) {
        const chunk: Json = {
          guild_id: gid,
          members: members.slice(i * MEMBER_CHUNK, (i + 1) * MEMBER_CHUNK).map((m) => memberJson(m)),
          chunk_index: i,
          chunk_count: chunkCount,
        };
        if (i === 0 && notFound.length) chunk.not_found = notFound;
        if (d.presences) chunk.presences = [];
        if (d.nonce !== undefined) chunk.nonce = d.nonce;
        session.dispatch('GUILD_MEMBERS_CHUNK', JSON.stringify(chunk));
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
  dispatchToGuild(guildId: string, t: string, d: unknown, variant?: (d: unknown, intents: number) => unknown): number {
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

  /** Largest amount of unsent data on any socket, for traffic backpressure. */
  maxBufferedAmount(): number {
    let max = 0;
    for (const c of this.conns) max = Math.max(max, c.ws.bufferedAmount);
    return max;
  }

  // ---- faults ----

  dropConnection(shardId: number, closeCode: number = Close.UnknownError): void {
    for (const s of this.sessionsForShard(shardId)) if (s.conn) this.closeConn(s.conn, closeCode, 'simulated disconnect');
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
        if (conn.ws.readyState === WebSocket.OPEN) this.closeConn(conn, Close.UnknownError, 'reconnect');
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
      c.ws.terminate();
    }
    this.conns.clear();
    this.sessions.clear();
    this.wss.close();
  }
}

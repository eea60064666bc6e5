// REST API v10 on /api: the routes discord.js and the bot use. Replies are JSON with the error shapes and
// codes Discord uses; injected faults (429 with rate-limit headers, 5xx) are served before routing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CommandRegistry } from './commands.js';
import type { Interactions } from './interactions.js';
import { parseBody, type ParsedBody } from './multipart.js';
import { canManageGuild, listInvites } from './invites.js';
import { channelJson, guildJson, inviteJson, memberJson, roleJson, userJson, type Json } from './payloads.js';
import type { World } from './world.js';

export interface RestFault {
  status: number;
  count?: number;
  retryAfterSec?: number;
  routeIncludes?: string;
  /** 429 only: mark the limit global (X-RateLimit-Global / scope "global"). */
  global?: boolean;
}

export interface SessionStartLimit {
  total: number;
  remaining: number;
  resetAt: number;
  maxConcurrency: number;
}

export interface RestOptions {
  world: World;
  token: string;
  logger: Logger;
  interactions: Interactions;
  commands: CommandRegistry;
  gatewayUrl: () => string;
  recommendedShards: number;
  sessionStart: SessionStartLimit;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/** A request path for the simulator's logs: interaction and webhook tokens (path segments) cut out. */
const tokenless = (p: string) => p.replace(/\/(webhooks|interactions)\/([^/]+)\/[^/?]+/, '/$1/$2/:token');

const notFound = (code = 0, message = '404: Not Found'): Reply => ({ status: 404, body: { message, code } });
const ok = (body: unknown, status = 200): Reply => ({ status, body });
const MAX_BODY = 25 * 1024 * 1024;

export class RestApi {
  private readonly faults: (RestFault & { left: number })[] = [];

  constructor(private readonly o: RestOptions) {}

  failRest(f: RestFault): void {
    this.faults.push({ ...f, left: f.count ?? 1 });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    let reply: Reply;
    try {
      const raw = await readBody(req);
      reply = this.fault(method, url) ?? (await this.route(method, url, req, raw));
    } catch (err) {
      this.o.logger.warn({ err, method, route: tokenless(url.pathname) }, 'bad request');
      reply = { status: 400, body: { message: '400: Bad Request', code: 50109 } };
    }
    if (reply.status === 204 || reply.body === null) {
      // No content type on 204: discord.js would try to parse an empty body as JSON and throw.
      res.writeHead(204, { ...reply.headers }).end();
    } else {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body));
    }
  }

  private fault(method: string, url: URL): Reply | null {
    const path = safeDecode(url.pathname);
    const f = this.faults.find((x) => x.left > 0 && (!x.routeIncludes || path.includes(x.routeIncludes) || url.pathname.includes(x.routeIncludes)));
    if (!f) return null;
    f.left--;
    if (f.left <= 0) this.faults.splice(this.faults.indexOf(f), 1);
    this.o.logger.info({ method, route: tokenless(path), status: f.status }, 'injected REST fault');
    if (f.status !== 429) return { status: f.status, body: { message: `${f.status}: Simulated failure`, code: 0 } };
    const after = f.retryAfterSec ?? 1;
    const headers: Record<string, string> = {
      'retry-after': String(after),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': ((Date.now() + after * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': after.toFixed(3),
      'x-ratelimit-bucket': 'sim0fault0bucket',
      'x-ratelimit-scope': f.global ? 'global' : 'user',
    };
    if (f.global) headers['x-ratelimit-global'] = 'true';
    return { status: 429, headers, body: { message: 'You are being rate limited.', retry_after: after, global: Boolean(f.global) } };
  }

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bot ${this.o.token}`;
  }

  private async route(method: string, url: URL, req: IncomingMessage, raw: Buffer): Promise<Reply> {
    // /api[/v10]/a/b/c, segments decoded (discord.js sends %40original / %40me)
    const all = url.pathname.split('/').filter(Boolean).map(safeDecode);
    if (all[0] !== 'api') return notFound();
    const parts = /^v\d+$/.test(all[1] ?? '') ? all.slice(2) : all.slice(1);
    const [a, b, c, d, e] = parts;
    const { world, interactions, commands } = this.o;
    const body = (): Promise<ParsedBody> => parseBody(req.headers['content-type'], raw);
    const obj = (p: ParsedBody) => (p.json && !Array.isArray(p.json) ? p.json : {});

    // Token-authenticated routes (interaction token in the path): no Authorization header needed.
    if (a === 'interactions' && b && c && d === 'callback' && parts.length === 4 && method === 'POST') {
      const p = await body();
      return interactions.callback(b, c, obj(p), p.files, url.searchParams.get('with_response') === 'true');
    }
    if (a === 'webhooks' && b && c) {
      if (parts.length === 3 && method === 'POST') {
        const p = await body();
        return interactions.followup(b, c, obj(p), p.files, url.searchParams.get('wait') === 'true');
      }
      if (parts.length === 5 && d === 'messages' && e) {
        if (method === 'PATCH') {
          const p = await body();
          return interactions.edit(b, c, e, obj(p), p.files);
        }
        if (method === 'GET') return interactions.get(b, c, e);
        if (method === 'DELETE') return interactions.delete(b, c, e);
      }
    }
    if (a === 'gateway' && parts.length === 1 && method === 'GET') return ok({ url: this.o.gatewayUrl() });

    if (!this.authorized(req)) return { status: 401, body: { message: '401: Unauthorized', code: 0 } };

    if (a === 'gateway' && b === 'bot' && parts.length === 2 && method === 'GET') {
      const s = this.o.sessionStart;
      if (Date.now() >= s.resetAt) {
        s.remaining = s.total;
        s.resetAt = Date.now() + 86_400_000;
      }
      return ok({
        url: this.o.gatewayUrl(),
        shards: this.o.recommendedShards,
        session_start_limit: { total: s.total, remaining: s.remaining, reset_after: s.resetAt - Date.now(), max_concurrency: s.maxConcurrency },
      });
    }
    if (a === 'users' && b && parts.length === 2 && method === 'GET') {
      if (b === '@me') return ok({ ...userJson(world.botUser), verified: true, mfa_enabled: false, email: null, locale: 'en-US' });
      for (const g of world.guilds.values()) {
        const m = g.members.get(b);
        if (m) return ok(userJson(m.user));
      }
      return notFound(10013, 'Unknown User');
    }
    if (a === 'applications' && b === '@me' && parts.length === 2 && method === 'GET') {
      return ok({
        id: world.application.id,
        name: world.application.name,
        icon: null,
        description: 'Server statistics',
        summary: '',
        type: null,
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: 'a'.repeat(64),
        flags: world.application.flags,
        owner: userJson(world.botUser),
        team: null,
        bot: userJson(world.botUser),
        approximate_guild_count: world.guilds.size,
        install_params: { scopes: ['bot', 'applications.commands'], permissions: '0' },
        tags: [],
      });
    }
    if (a === 'applications' && b) {
      if (b !== world.application.id) return notFound(10002, 'Unknown Application');
      const guildId = c === 'guilds' ? d : null;
      const rest = c === 'guilds' ? parts.slice(4) : parts.slice(2);
      if (guildId && !world.guild(guildId)) return { status: 403, body: { message: 'Missing Access', code: 50001 } };
      if (rest[0] === 'commands') {
        const cmdId = rest[1];
        if (rest.length === 1 && method === 'GET') return ok(commands.list(guildId ?? null));
        if (rest.length === 1 && method === 'PUT') {
          const p = await body();
          if (!Array.isArray(p.json)) return { status: 400, body: { message: 'Invalid Form Body', code: 50035 } };
          return ok(commands.overwrite(guildId ?? null, p.json as Json[]));
        }
        if (rest.length === 1 && method === 'POST') return ok(commands.upsert(guildId ?? null, obj(await body())), 201);
        if (rest.length === 2 && cmdId) {
          const existing = commands.list(guildId ?? null).find((x) => x.id === cmdId);
          if (!existing) return notFound(10063, 'Unknown application command');
          if (method === 'GET') return ok(existing);
          if (method === 'DELETE') return commands.remove(guildId ?? null, cmdId) ? { status: 204, body: null } : notFound(10063, 'Unknown application command');
          if (method === 'PATCH') return ok(commands.upsert(guildId ?? null, { ...existing, ...obj(await body()) }));
        }
      }
    }
    if (a === 'guilds' && b) {
      const g = world.guild(b);
      if (!g) return notFound(10004, 'Unknown Guild');
      if (method === 'GET' && parts.length === 2) return ok({ ...guildJson(g), approximate_member_count: g.members.size });
      if (method === 'GET' && (c === 'invites' || c === 'vanity-url') && parts.length === 3) {
        // Both need Manage Server, as on Discord.
        if (!canManageGuild(g, world.botUser.id)) return { status: 403, body: { message: 'Missing Permissions', code: 50013 } };
        if (c === 'vanity-url') return ok(g.vanity ? { code: g.vanity.code, uses: g.vanity.uses } : { code: null, uses: 0 });
        return ok(listInvites(g).map((inv) => inviteJson(inv, g, world.channel(inv.channelId)!)));
      }
      if (method === 'GET' && c === 'channels' && parts.length === 3) return ok(g.channels.filter((x) => x.type !== 11).map(channelJson));
      if (method === 'GET' && c === 'roles' && parts.length === 3) return ok(g.roles.map(roleJson));
      if (method === 'GET' && c === 'threads' && d === 'active' && parts.length === 4) {
        return ok({ threads: g.channels.filter((x) => x.type === 11).map(channelJson), members: [] });
      }
      if (method === 'GET' && c === 'members' && parts.length === 3) {
        const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 1)));
        const after = BigInt(url.searchParams.get('after') ?? '0');
        const sorted = [...g.members.values()].filter((m) => BigInt(m.user.id) > after).sort((x, y) => (BigInt(x.user.id) < BigInt(y.user.id) ? -1 : 1));
        return ok(sorted.slice(0, limit).map((m) => memberJson(m)));
      }
      if (method === 'GET' && c === 'members' && d && parts.length === 4) {
        const m = g.members.get(d === '@me' ? world.botUser.id : d);
        return m ? ok(memberJson(m)) : notFound(10007, 'Unknown Member');
      }
    }
    if (a === 'channels' && b && parts.length === 2 && method === 'GET') {
      const ch = world.channel(b);
      return ch ? ok(channelJson(ch)) : notFound(10003, 'Unknown Channel');
    }
    this.o.logger.warn({ method, route: tokenless(url.pathname) }, 'unknown REST route');
    return notFound();
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

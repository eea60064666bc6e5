// REST API v10 on /api: the routes discord.js and the bot use. Replies are JSON with the error shapes and
// codes Discord uses and bodies typed by discord-api-types (checked against Discord's OpenAPI spec in the
// package's tests); every route is rate limited as on Discord (rate-limits.ts) unless that limit is off.
// Injected faults (429s, 5xx) are served before routing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  OAuth2Scopes,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type RESTGetAPIChannelMessagesResult,
  type RESTError,
  type RESTGetAPIChannelResult,
  type RESTGetAPICurrentUserGuildsResult,
  type RESTGetAPICurrentUserResult,
  type RESTGetAPIGatewayBotResult,
  type RESTGetAPIGatewayResult,
  type RESTGetAPIGuildChannelsResult,
  type RESTGetAPIGuildInvitesResult,
  type RESTGetAPIGuildMemberResult,
  type RESTGetAPIGuildMembersResult,
  type RESTGetAPIGuildResult,
  type RESTGetAPIGuildRolesResult,
  type RESTGetAPIGuildThreadsResult,
  type RESTGetAPIGuildVanityUrlResult,
  type RESTGetAPIUserResult,
  type RESTGetCurrentApplicationResult,
  type RESTRateLimit,
} from 'discord-api-types/v10';
import type { Logger } from 'pino';
import type { CommandInput, CommandRegistry } from './commands.js';
import type { Credentials, SessionStartBudget } from './credentials.js';
import type { Interactions } from './interactions.js';
import { parseBody, type ParsedBody } from './multipart.js';
import { listInvites } from './invites.js';
import {
  guildChannelJson,
  guildJson,
  inviteJson,
  memberJson,
  roleJson,
  threadJson,
  channelJson,
  userJson,
} from './payloads.js';
import type { OAuth2 } from './oauth.js';
import { canManageGuild, channelPermissions, memberPermissions } from './permissions.js';
import type { MessageHistory } from './history.js';
import { messageCreateJson } from './messages.js';
import { RestRateLimiter, routeKey } from './rate-limits.js';
import type { ChannelEditor } from './channel-edit.js';
import type { ChannelMessages } from './channel-messages.js';
import type { MemberRoleEditor } from './member-roles.js';
import { ChannelKind, type World } from './world.js';

export interface RestFault {
  status: number;
  count?: number;
  retryAfterSec?: number;
  routeIncludes?: string;
  /** 429 only: mark the limit global (X-RateLimit-Global / scope "global"). */
  global?: boolean;
}

export interface RestOptions {
  world: World;
  credentials: Credentials;
  logger: Logger;
  interactions: Interactions;
  commands: CommandRegistry;
  gatewayUrl: () => string;
  recommendedShards: number;
  sessionStart: SessionStartBudget;
  /** Per-route and global rate limits (limits.rest); null when off. */
  rateLimiter: RestRateLimiter | null;
  /** The application's public key (hex) and Interactions Endpoint URL, as GET /applications/@me shows them. */
  endpoint: () => { verifyKey: string; url: string | null };
  oauth: OAuth2;
  /** Channel edits (renames with their per-channel limit). */
  channels: ChannelEditor;
  /** Messages the bot posts to channels. */
  channelMessages: ChannelMessages;
  /** Member role adds and removes (hierarchy checks, audit-log reasons). */
  memberRoles: MemberRoleEditor;
  /** Every message created, dispatched or laid down as history (history.ts). */
  history: MessageHistory;
  /** Base URL of attachment links in message objects. */
  attachmentsUrl: () => string;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A request path for the simulator's logs: interaction and webhook tokens (path segments) cut out. */
const tokenless = (p: string) => p.replace(/\/(webhooks|interactions)\/([^/]+)\/[^/?]+/, '/$1/$2/:token');

const error = (status: number, code: number, message: string): Reply => ({
  status,
  body: { code, message } satisfies RESTError,
});
const notFound = (code = 0, message = '404: Not Found'): Reply => error(404, code, message);
const ok = (body: unknown, status = 200): Reply => ({ status, body });
const MAX_BODY = 25 * 1024 * 1024;

/** What the REST API served: requests, and the organic 429s (injected faults not included) by scope. */
export interface RestStats {
  requests: number;
  /** Requests by route ("GET /guilds/{id}/invites"), whatever their answer. */
  routes: Map<string, number>;
  rateLimited: { user: number; global: number };
  /** 429s by route ("GET /gateway/bot"), to tell which calls a bot makes too often. */
  limitedRoutes: Map<string, number>;
}

export class RestApi {
  readonly stats: RestStats = {
    requests: 0,
    routes: new Map(),
    rateLimited: { user: 0, global: 0 },
    limitedRoutes: new Map(),
  };
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
      reply = this.fault(method, url) ?? (await this.serve(method, url, req, raw));
    } catch (err) {
      this.o.logger.warn({ err, method, route: tokenless(url.pathname) }, 'bad request');
      reply = error(400, RESTJSONErrorCodes.InvalidFormBodyOrContentType, '400: Bad Request');
    }
    if (reply.status === 204 || reply.body === null) {
      // No content type on 204: discord.js would try to parse an empty body as JSON and throw.
      res.writeHead(204, { ...reply.headers }).end();
    } else {
      res
        .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
        .end(JSON.stringify(reply.body));
    }
  }

  /** Routes the request through the rate limiter: a refused one gets the 429, an allowed one its headers. */
  private async serve(method: string, url: URL, req: IncomingMessage, raw: Buffer): Promise<Reply> {
    const parts = apiPath(url);
    this.stats.requests++;
    if (!parts) return notFound();
    const key = routeKey(method, parts);
    this.stats.routes.set(key.route, (this.stats.routes.get(key.route) ?? 0) + 1);
    const limiter = this.o.rateLimiter;
    if (!limiter) return this.route(method, parts, url, req, raw);
    const verdict = limiter.check(req.headers.authorization ?? '', key);
    if (verdict.refusal) {
      this.stats.rateLimited[verdict.refusal.global ? 'global' : 'user']++;
      this.stats.limitedRoutes.set(key.route, (this.stats.limitedRoutes.get(key.route) ?? 0) + 1);
      this.o.logger.info(
        {
          method,
          route: tokenless(url.pathname),
          retryAfter: verdict.refusal.retry_after,
          global: verdict.refusal.global,
        },
        'rate limited (429)',
      );
      return { status: 429, headers: verdict.headers, body: verdict.refusal };
    }
    const reply = await this.route(method, parts, url, req, raw);
    return { ...reply, headers: { ...verdict.headers, ...reply.headers } };
  }

  private fault(method: string, url: URL): Reply | null {
    const path = safeDecode(url.pathname);
    const f = this.faults.find(
      (x) =>
        x.left > 0 && (!x.routeIncludes || path.includes(x.routeIncludes) || url.pathname.includes(x.routeIncludes)),
    );
    if (!f) return null;
    f.left--;
    if (f.left <= 0) this.faults.splice(this.faults.indexOf(f), 1);
    this.o.logger.info({ method, route: tokenless(path), status: f.status }, 'injected REST fault');
    if (f.status !== 429) return error(f.status, 0, `${f.status}: Simulated failure`);
    const after = f.retryAfterSec ?? 1;
    const headers: Record<string, string> = {
      'retry-after': String(Math.ceil(after)),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': ((Date.now() + after * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': after.toFixed(3),
      'x-ratelimit-bucket': 'sim0fault0bucket',
      'x-ratelimit-scope': f.global ? 'global' : 'user',
    };
    if (f.global) headers['x-ratelimit-global'] = 'true';
    const body: RESTRateLimit = {
      message: 'You are being rate limited.',
      retry_after: after,
      global: Boolean(f.global),
      code: 0,
    };
    return { status: 429, headers, body };
  }

  private async route(method: string, parts: string[], url: URL, req: IncomingMessage, raw: Buffer): Promise<Reply> {
    const [a, b, c, d, e] = parts;
    const { world, interactions, commands } = this.o;
    const body = (): Promise<ParsedBody> => parseBody(req.headers['content-type'], raw);
    const obj = (p: ParsedBody): Record<string, unknown> =>
      p.json !== null && typeof p.json === 'object' && !Array.isArray(p.json)
        ? (p.json as Record<string, unknown>)
        : {};

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
    if (a === 'gateway' && parts.length === 1 && method === 'GET')
      return ok({ url: this.o.gatewayUrl() } satisfies RESTGetAPIGatewayResult);

    const auth = req.headers.authorization ?? '';
    // OAuth2 (oauth.ts): the token exchange authenticates the client in its body, user routes by Bearer token.
    if (a === 'oauth2' && b === 'token' && parts.length === 2 && method === 'POST') return this.o.oauth.token(req, raw);
    if (/^Bearer\s/i.test(auth)) return this.o.oauth.bearer(method, parts, auth) ?? error(401, 0, '401: Unauthorized');
    if (!auth.startsWith('Bot ') || !this.o.credentials.valid(auth)) return error(401, 0, '401: Unauthorized');

    if (a === 'gateway' && b === 'bot' && parts.length === 2 && method === 'GET') {
      return ok({
        url: this.o.gatewayUrl(),
        shards: this.o.recommendedShards,
        session_start_limit: this.o.sessionStart.view(),
      } satisfies RESTGetAPIGatewayBotResult);
    }
    if (a === 'users' && b === '@me' && c === 'guilds' && parts.length === 3 && method === 'GET') {
      // The bot's guilds, ascending by id, paginated with after/limit (max 200) as on Discord.
      const limit = Math.min(200, Math.max(1, Number(url.searchParams.get('limit') ?? 200)));
      const after = BigInt(url.searchParams.get('after') ?? '0');
      const mine = [...world.guilds.values()]
        .filter((g) => BigInt(g.id) > after)
        .sort((x, y) => (BigInt(x.id) < BigInt(y.id) ? -1 : 1));
      return ok(
        mine.slice(0, limit).map((g) => ({
          id: g.id,
          name: g.name,
          icon: null,
          banner: null,
          owner: false,
          permissions: String(memberPermissions(g, world.botUser.id)),
          features: [],
        })) satisfies RESTGetAPICurrentUserGuildsResult,
      );
    }
    if (a === 'users' && b && parts.length === 2 && method === 'GET') {
      if (b === '@me')
        return ok({
          ...userJson(world.botUser),
          verified: true,
          mfa_enabled: false,
          email: null,
          locale: 'en-US',
        } satisfies RESTGetAPICurrentUserResult);
      for (const g of world.guilds.values()) {
        const m = g.members.get(b);
        if (m) return ok(userJson(m.user) satisfies RESTGetAPIUserResult);
      }
      return notFound(RESTJSONErrorCodes.UnknownUser, 'Unknown User');
    }
    if (a === 'applications' && b === '@me' && parts.length === 2 && method === 'GET') {
      // explicit_content_filter and eligible_oauth2_scopes are required by the spec (PrivateApplicationResponse)
      // but unknown to discord-api-types.
      const app: RESTGetCurrentApplicationResult & {
        type: null;
        explicit_content_filter: number;
        eligible_oauth2_scopes: OAuth2Scopes[];
      } = {
        id: world.application.id,
        type: null,
        name: world.application.name,
        icon: null,
        description: 'Server statistics',
        summary: '',
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: this.o.endpoint().verifyKey,
        flags: world.application.flags,
        flags_new: String(world.application.flags),
        owner: userJson(world.botUser),
        team: null,
        bot: userJson(world.botUser),
        approximate_guild_count: world.guilds.size,
        approximate_user_install_count: 0,
        approximate_user_authorization_count: 0,
        redirect_uris: [],
        interactions_endpoint_url: this.o.endpoint().url,
        role_connections_verification_url: null,
        explicit_content_filter: 0,
        eligible_oauth2_scopes: [OAuth2Scopes.Bot, OAuth2Scopes.ApplicationsCommands],
        install_params: { scopes: [OAuth2Scopes.Bot, OAuth2Scopes.ApplicationsCommands], permissions: '0' },
      };
      return ok(app);
    }
    if (a === 'applications' && b) {
      if (b !== world.application.id) return notFound(RESTJSONErrorCodes.UnknownApplication, 'Unknown Application');
      const guildId = c === 'guilds' ? d : null;
      const rest = c === 'guilds' ? parts.slice(4) : parts.slice(2);
      if (guildId && !world.guild(guildId)) return error(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
      if (rest[0] === 'commands') {
        const cmdId = rest[1];
        if (rest.length === 1 && method === 'GET') return ok(commands.list(guildId ?? null));
        if (rest.length === 1 && method === 'PUT') {
          const p = await body();
          if (!Array.isArray(p.json))
            return error(400, RESTJSONErrorCodes.InvalidFormBodyOrContentType, 'Invalid Form Body');
          return ok(commands.overwrite(guildId ?? null, p.json as CommandInput[]));
        }
        if (rest.length === 1 && method === 'POST')
          return ok(commands.upsert(guildId ?? null, (await body()).json as CommandInput), 201);
        if (rest.length === 2 && cmdId) {
          const existing = commands.list(guildId ?? null).find((x) => x.id === cmdId);
          if (!existing) return notFound(RESTJSONErrorCodes.UnknownApplicationCommand, 'Unknown application command');
          if (method === 'GET') return ok(existing);
          if (method === 'DELETE')
            return commands.remove(guildId ?? null, cmdId)
              ? { status: 204, body: null }
              : notFound(RESTJSONErrorCodes.UnknownApplicationCommand, 'Unknown application command');
          if (method === 'PATCH')
            return ok(
              commands.upsert(guildId ?? null, {
                ...existing,
                ...((await body()).json as Partial<CommandInput>),
              } as CommandInput),
            );
        }
      }
    }
    if (
      a === 'guilds' &&
      b &&
      c === 'members' &&
      d &&
      e === 'roles' &&
      parts[5] &&
      parts.length === 6 &&
      (method === 'PUT' || method === 'DELETE')
    ) {
      const reason = req.headers['x-audit-log-reason'];
      return this.o.memberRoles.change(method, b, d, parts[5], Array.isArray(reason) ? reason[0] : reason);
    }
    if (a === 'guilds' && b) {
      const g = world.guild(b);
      if (!g) return notFound(RESTJSONErrorCodes.UnknownGuild, 'Unknown Guild');
      if (method === 'GET' && parts.length === 2) {
        // home_header and nsfw are required by the spec (GuildWithCountsResponse), region too, which Discord
        // reports as "deprecated" since voice regions moved to channels.
        const guild: RESTGetAPIGuildResult & { home_header: null; nsfw: boolean } = {
          ...guildJson(g),
          region: 'deprecated',
          home_header: null,
          nsfw: false,
          approximate_member_count: g.members.size,
        };
        return ok(guild);
      }
      if (method === 'GET' && (c === 'invites' || c === 'vanity-url') && parts.length === 3) {
        // Both need Manage Server, as on Discord.
        if (!canManageGuild(g, world.botUser.id))
          return error(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
        if (c === 'vanity-url')
          return ok(
            (g.vanity
              ? { code: g.vanity.code, uses: g.vanity.uses }
              : { code: null, uses: 0 }) satisfies RESTGetAPIGuildVanityUrlResult,
          );
        return ok(
          listInvites(g).map((inv) =>
            inviteJson(inv, g, world.channel(inv.channelId)!),
          ) satisfies RESTGetAPIGuildInvitesResult,
        );
      }
      if (method === 'GET' && c === 'channels' && parts.length === 3)
        return ok(
          g.channels
            .filter((x) => x.type !== ChannelKind.PublicThread)
            .map(guildChannelJson) satisfies RESTGetAPIGuildChannelsResult,
        );
      if (method === 'GET' && c === 'roles' && parts.length === 3)
        return ok(g.roles.map(roleJson) satisfies RESTGetAPIGuildRolesResult);
      if (method === 'GET' && c === 'threads' && d === 'active' && parts.length === 4) {
        // has_more is required by the spec (ThreadsResponse) though discord-api-types leaves it out.
        const list: RESTGetAPIGuildThreadsResult & { has_more: boolean } = {
          threads: g.channels.filter((x) => x.type === ChannelKind.PublicThread).map(threadJson),
          members: [],
          has_more: false,
        };
        return ok(list);
      }
      if (method === 'GET' && c === 'members' && parts.length === 3) {
        const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 1)));
        const after = BigInt(url.searchParams.get('after') ?? '0');
        const sorted = [...g.members.values()]
          .filter((m) => BigInt(m.user.id) > after)
          .sort((x, y) => (BigInt(x.user.id) < BigInt(y.user.id) ? -1 : 1));
        return ok(sorted.slice(0, limit).map(memberJson) satisfies RESTGetAPIGuildMembersResult);
      }
      if (method === 'GET' && c === 'members' && d && parts.length === 4) {
        const m = g.members.get(d === '@me' ? world.botUser.id : d);
        return m
          ? ok(memberJson(m) satisfies RESTGetAPIGuildMemberResult)
          : notFound(RESTJSONErrorCodes.UnknownMember, 'Unknown Member');
      }
    }
    if (a === 'channels' && b && c === 'messages' && parts.length === 3 && method === 'POST')
      return this.o.channelMessages.create(b, await body());
    if (a === 'channels' && b && parts.length === 2 && method === 'PATCH')
      return this.o.channels.edit(b, obj(await body()));
    if (a === 'channels' && b && c === 'messages' && parts.length === 3 && method === 'GET')
      return this.messages(b, url);
    if (a === 'channels' && b && parts.length === 2 && method === 'GET') {
      const ch = world.channel(b);
      return ch
        ? ok(channelJson(ch) satisfies RESTGetAPIChannelResult)
        : notFound(RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
    }
    this.o.logger.warn({ method, route: tokenless(url.pathname) }, 'unknown REST route');
    return notFound();
  }

  /**
   * GET /channels/{id}/messages (resources/message.md, "Get Channel Messages"): VIEW_CHANNEL or 403 Missing
   * Access; without READ_MESSAGE_HISTORY "no messages will be returned"; one of before/after/around, limit
   * 1–100 (default 50), newest first. REST message objects carry no guild_id or member, unlike the gateway's.
   */
  private messages(channelId: string, url: URL): Reply {
    const { world } = this.o;
    const ch = world.channel(channelId);
    if (!ch) return notFound(RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
    const g = world.guild(ch.guildId);
    if (!g) return notFound(RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
    if (ch.type === ChannelKind.Category || ch.type === ChannelKind.Forum)
      return error(
        400,
        RESTJSONErrorCodes.CannotExecuteActionOnThisChannelType,
        'Cannot execute action on this channel type',
      );
    const perms = channelPermissions(g, ch, world.botUser.id);
    if ((perms & PermissionFlagsBits.ViewChannel) === 0n)
      return error(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
    const q = url.searchParams;
    const rawLimit = q.get('limit');
    const limit = rawLimit === null ? 50 : Number(rawLimit);
    const anchors = (['before', 'after', 'around'] as const).filter((k) => q.has(k));
    const badId = anchors.find((k) => !SNOWFLAKE_PARAM.test(q.get(k)!));
    if (!Number.isInteger(limit) || limit < 1 || limit > 100 || badId !== undefined) {
      const field = badId ?? 'limit';
      const why =
        badId !== undefined
          ? { code: 'NUMBER_TYPE_COERCE', message: `Value "${q.get(badId)}" is not snowflake.` }
          : { code: 'NUMBER_TYPE_MAX', message: 'int value should be less than or equal to 100.' };
      return {
        status: 400,
        body: {
          code: RESTJSONErrorCodes.InvalidFormBodyOrContentType,
          message: 'Invalid Form Body',
          errors: { [field]: { _errors: [why] } },
        },
      };
    }
    if ((perms & PermissionFlagsBits.ReadMessageHistory) === 0n) return ok([]);
    // Discord honours one anchor, in this order, when several are given.
    const anchor = anchors.includes('around')
      ? 'around'
      : anchors.includes('before')
        ? 'before'
        : anchors.includes('after')
          ? 'after'
          : undefined;
    const page = this.o.history.page(ch.id, { limit, ...(anchor ? { [anchor]: q.get(anchor)! } : {}) });
    const base = this.o.attachmentsUrl();
    return ok(
      page.map((m) => {
        const {
          guild_id: _g,
          member: _m,
          nonce: _n,
          ...rest
        } = messageCreateJson({ ...m, guild: g, channel: ch }, base);
        return {
          ...rest,
          mentions: rest.mentions.map(({ member: _mm, ...u }) => u),
        } satisfies RESTGetAPIChannelMessagesResult[number];
      }),
    );
  }
}

const SNOWFLAKE_PARAM = /^\d{1,20}$/;

/** /api[/v10]/a/b/c as decoded segments after the version (discord.js sends %40original / %40me), or null. */
function apiPath(url: URL): string[] | null {
  const all = url.pathname.split('/').filter(Boolean).map(safeDecode);
  if (all[0] !== 'api') return null;
  return /^v\d+$/.test(all[1] ?? '') ? all.slice(2) : all.slice(1);
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

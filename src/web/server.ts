// The dashboard's HTTP server (Fastify): sign in with Discord, server-side sessions, the JSON API and the
// front end. /metrics and the probes are on the ops port (src/http.ts), never on the public one.
//
// Security, in order of the request:
//   - a strict content security policy (@fastify/helmet): scripts, styles and data only from this origin;
//   - the session cookie holds an opaque id only (HttpOnly, SameSite=Lax, Secure unless the public URL is
//     http on localhost); the session (Discord token, guilds, CSRF token) lives in Redis;
//   - every change (POST/PUT/PATCH/DELETE) needs the session's CSRF token in X-CSRF-Token and a same-origin
//     Origin header, checked before any handler runs;
//   - a guild route needs a guild the user shares with the bot (else 404: nothing tells whether it exists),
//     and the permission the commands need (else 403; a member's own page is always open). The user's
//     guilds and permissions are re-read from Discord at most a minute after they were last read, so a
//     member who loses Manage Server loses the pages within a minute.
import { timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RedisClient } from '../redis.js';
import { resolveTimeZone } from '../commands/framework/time-zones.js';
import type { Queryable } from '../db/pool.js';
import type { Logger } from '../logger.js';
import type { GuildSettings, GuildSettingsStore } from '../settings.js';
import { guildStructure } from '../stats/structure.js';
import { accessOf } from './access.js';
import { PAGES, pageQuerySchema, runPage, SNOWFLAKE, type GuildContext, type PageName, type PageQuery } from './api.js';
import { DiscordError, pkcePair, type DiscordClient, type UserGuild } from './discord.js';
import type { FrontEnd } from './frontend.js';
import { webRequestDuration } from './metrics.js';
import { BadRequest } from './range.js';
import { SESSION_TTL_S, SessionStore, type Session } from './sessions.js';

export const SESSION_COOKIE = 'sid';
/** How long the guild list and permissions read from Discord are trusted. */
export const GUILDS_TTL_MS = 60_000;

export interface WebServerOptions {
  db: Queryable;
  redis: RedisClient;
  keyPrefix: string;
  settings: GuildSettingsStore;
  discord: DiscordClient;
  publicUrl: string;
  frontEnd: FrontEnd;
  logger: Logger;
}

interface Authed {
  sid: string;
  session: Session;
}

declare module 'fastify' {
  interface FastifyRequest {
    authed?: Authed;
  }
}

export async function buildWebServer(o: WebServerOptions): Promise<FastifyInstance> {
  // Unknown query or body fields are refused (400), not silently dropped (Fastify's default).
  const app = Fastify({
    logger: false,
    trustProxy: true,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false } },
  });
  const sessions = new SessionStore(o.redis, o.keyPrefix);
  const origin = new URL(o.publicUrl).origin;
  const local =
    new URL(o.publicUrl).protocol === 'http:' &&
    ['localhost', '127.0.0.1', '[::1]'].includes(new URL(o.publicUrl).hostname);
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure: !local, maxAge: SESSION_TTL_S } as const;

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: local ? null : [],
      },
    },
    strictTransportSecurity: !local,
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    webRequestDuration.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err instanceof BadRequest || err.validation) return reply.code(400).send({ error: err.message });
    if (err instanceof DiscordError && err.status === 401)
      return reply.code(401).send({ error: 'Discord access ended: sign in again' });
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    o.logger.error({ err, route: req.routeOptions.url }, 'dashboard request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  // Session and CSRF: every request learns its session; every change must prove it comes from our page.
  app.addHook('onRequest', async (req, reply) => {
    const sid = req.cookies[SESSION_COOKIE];
    const session = await sessions.get(sid);
    if (session && sid) req.authed = { sid, session };
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return;
    const sent = req.headers['x-csrf-token'];
    const okOrigin = req.headers.origin === origin;
    if (!session || typeof sent !== 'string' || !okOrigin || !sameSecret(sent, session.csrf)) {
      return reply.code(403).send({ error: 'missing or invalid CSRF token' });
    }
  });

  // --- Sign in with Discord -------------------------------------------------------------------------
  app.get('/auth/login', async (_req, reply) => {
    const { verifier, challenge } = pkcePair();
    const state = await sessions.begin(verifier);
    return reply.redirect(o.discord.authorizeUrl(state, challenge));
  });

  app.get<{ Querystring: { code?: string; state?: string; error?: string } }>('/auth/callback', async (req, reply) => {
    const { code, state, error } = req.query;
    const verifier = typeof state === 'string' ? await sessions.finish(state) : null;
    if (!verifier)
      return reply.code(400).type('text/plain').send('Sign-in expired or was not started here: please sign in again.');
    if (error || typeof code !== 'string')
      return reply.code(400).type('text/plain').send('Discord did not grant access.');
    const token = await o.discord.exchangeCode(code, verifier);
    const [user, guilds] = await Promise.all([o.discord.user(token.access_token), sharedGuilds(token.access_token)]);
    // A fresh id on every sign-in (no session fixation); an old session of this browser ends.
    if (req.authed) await sessions.destroy(req.authed.sid);
    const { id } = await sessions.create({
      userId: user.id,
      username: user.global_name ?? user.username,
      accessToken: token.access_token,
      guilds,
      guildsAt: Date.now(),
    });
    reply.setCookie(SESSION_COOKIE, id, cookieOptions);
    return reply.redirect('/');
  });

  app.post('/auth/logout', async (req, reply) => {
    if (req.authed) await sessions.destroy(req.authed.sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  async function sharedGuilds(accessToken: string): Promise<UserGuild[]> {
    const [mine, bots] = await Promise.all([o.discord.userGuilds(accessToken), botGuilds()]);
    return mine.filter((g) => bots.has(g.id));
  }

  let botCache: { at: number; ids: Promise<Set<string>> } | undefined;
  function botGuilds(): Promise<Set<string>> {
    if (!botCache || Date.now() - botCache.at > GUILDS_TTL_MS) {
      const ids = o.discord.botGuildIds();
      botCache = { at: Date.now(), ids };
      ids.catch(() => (botCache = undefined));
    }
    return botCache.ids;
  }

  /** The signed-in session with guilds at most GUILDS_TTL_MS old; replies 401 and returns null without one. */
  async function requireSession(req: FastifyRequest, reply: FastifyReply): Promise<Authed | null> {
    const a = req.authed;
    if (!a) {
      await reply.code(401).send({ error: 'not signed in' });
      return null;
    }
    if (Date.now() - a.session.guildsAt > GUILDS_TTL_MS) {
      try {
        a.session.guilds = await sharedGuilds(a.session.accessToken);
        a.session.guildsAt = Date.now();
        await sessions.save(a.sid, a.session);
      } catch (err) {
        if (err instanceof DiscordError && err.status === 401) {
          await sessions.destroy(a.sid);
          await reply.code(401).send({ error: 'Discord access ended: sign in again' });
          return null;
        }
        throw err;
      }
    }
    return a;
  }

  async function settingsOf(guildId: string): Promise<Readonly<GuildSettings>> {
    await o.settings.load([guildId]);
    return o.settings.get(guildId);
  }

  /** The guild context, or a 404 (not shared) / 403 (no permission) reply and null. */
  async function guildContext(
    req: FastifyRequest<{ Params: { guildId: string } }>,
    reply: FastifyReply,
    need: 'server' | 'member' | 'manage',
    memberId?: string,
  ): Promise<(GuildContext & { manage: boolean }) | null> {
    const a = await requireSession(req, reply);
    if (!a) return null;
    const g = a.session.guilds.find((x) => x.id === req.params.guildId);
    if (!g) {
      await reply.code(404).send({ error: 'unknown server' });
      return null;
    }
    const settings = await settingsOf(g.id);
    const access = accessOf(g, settings.memberStatsManagersOnly);
    const allowed =
      need === 'manage'
        ? access.manage
        : need === 'member'
          ? access.server || memberId === a.session.userId
          : access.server;
    if (!allowed) {
      await reply.code(403).send({
        error:
          need === 'manage'
            ? 'Only members with Manage Server can change settings.'
            : 'You need Administrator, Manage Server or View Server Insights to see this server.',
      });
      return null;
    }
    return { guildId: g.id, settings, server: access.server, manage: access.manage, userId: a.session.userId };
  }

  // --- API ------------------------------------------------------------------------------------------
  app.get('/api/me', async (req, reply) => {
    const a = await requireSession(req, reply);
    if (!a) return;
    // One query for every listed guild's settings (member-stats narrows who sees a server).
    await o.settings.load(a.session.guilds.map((g) => g.id));
    const guilds = a.session.guilds.map((g) => ({
      id: g.id,
      name: g.name,
      ...accessOf(g, o.settings.get(g.id).memberStatsManagersOnly),
    }));
    return { user: { id: a.session.userId, name: a.session.username }, csrf: a.session.csrf, guilds };
  });

  const guildParams = {
    type: 'object',
    required: ['guildId'],
    properties: { guildId: { type: 'string', pattern: SNOWFLAKE } },
  } as const;
  const memberParams = {
    type: 'object',
    required: ['guildId', 'userId'],
    properties: { guildId: { type: 'string', pattern: SNOWFLAKE }, userId: { type: 'string', pattern: SNOWFLAKE } },
  } as const;

  for (const name of Object.keys(PAGES) as PageName[]) {
    const path = name === 'member' ? '/api/guilds/:guildId/members/:userId' : `/api/guilds/:guildId/${name}`;
    for (const csv of [false, true]) {
      app.get<{ Params: { guildId: string; userId?: string }; Querystring: PageQuery }>(
        csv ? `${path}.csv` : path,
        { schema: { params: name === 'member' ? memberParams : guildParams, querystring: pageQuerySchema } },
        async (req, reply) => {
          const ctx = await guildContext(req, reply, name === 'member' ? 'member' : 'server', req.params.userId);
          if (!ctx) return;
          const out = await runPage(o.db, name, req.query, ctx, req);
          reply.header('cache-control', 'private, no-store');
          if (!csv) return out.data;
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${name}-${ctx.guildId}.csv"`)
            .send(out.csv());
        },
      );
    }
  }

  // Names of channels, categories and roles as the shards recorded them (sql/030): labels, the channel,
  // category and role pickers and the channels page's categories. Member names come with each page's rows.
  app.get<{ Params: { guildId: string } }>(
    '/api/guilds/:guildId/structure',
    { schema: { params: guildParams } },
    async (req, reply) => {
      const ctx = await guildContext(req, reply, 'server');
      if (!ctx) return;
      reply.header('cache-control', 'private, no-store');
      return guildStructure(o.db, ctx.guildId);
    },
  );

  app.get<{ Params: { guildId: string } }>(
    '/api/guilds/:guildId/settings',
    { schema: { params: guildParams } },
    async (req, reply) => {
      const ctx = await guildContext(req, reply, 'manage');
      if (!ctx) return;
      return ctx.settings;
    },
  );

  app.post<{ Params: { guildId: string }; Body: Partial<GuildSettings> }>(
    '/api/guilds/:guildId/settings',
    {
      schema: {
        params: guildParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            timeZone: { type: 'string', maxLength: 64 },
            includeBots: { type: 'boolean' },
            memberStatsManagersOnly: { type: 'boolean' },
            excludedChannels: {
              type: 'array',
              maxItems: 100,
              uniqueItems: true,
              items: { type: 'string', pattern: SNOWFLAKE },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const ctx = await guildContext(req, reply, 'manage');
      if (!ctx) return;
      const patch = { ...req.body };
      if (patch.timeZone !== undefined) {
        const zone = await resolveTimeZone(o.db, patch.timeZone);
        if (!zone) return reply.code(400).send({ error: `"${patch.timeZone.slice(0, 64)}" is not a time zone` });
        patch.timeZone = zone;
      }
      // The same store and pub/sub as /settings: every shard process holding the guild reloads it at once.
      return o.settings.update(ctx.guildId, patch);
    },
  );

  // --- Front end -------------------------------------------------------------------------
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const asset = (await o.frontEnd.assets()).get(req.params.file);
    if (!asset) return reply.code(404).send({ error: 'not found' });
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });
  // Every other GET is a page of the single-page front end.
  app.setNotFoundHandler(async (req, reply) => {
    if (req.method !== 'GET' || req.url.startsWith('/api/')) return reply.code(404).send({ error: 'not found' });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(o.frontEnd.html);
  });

  return app;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

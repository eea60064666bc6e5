// Discord's OAuth2 authorization-code grant (developers/topics/oauth2.mdx), enough for "Sign in with
// Discord": GET /oauth2/authorize (a test-user picker stands in for Discord's login and consent screen;
// `signInAs` grants programmatically), POST /api/oauth2/token (authorization_code with PKCE S256 or plain,
// refresh_token), and the Bearer-token routes GET /api/users/@me and /api/users/@me/guilds (with the
// member's computed permissions). Codes are single-use and expire after 10 minutes; redirect URIs must be
// registered (`registerRedirectUri`), as in the developer portal.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  OAuth2Scopes,
  type APIUser,
  type RESTGetAPICurrentUserGuildsResult,
  type RESTPostOAuth2AccessTokenResult,
} from 'discord-api-types/v10';
import { userJson } from './payloads.js';
import { memberPermissions } from './permissions.js';
import type { SimUser, World } from './world.js';

const CODE_TTL_MS = 10 * 60_000;
const TOKEN_TTL_S = 7 * 24 * 3600;
const KNOWN_SCOPES = new Set<string>(Object.values(OAuth2Scopes));

interface Grant {
  userId: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  challenge: string | null;
  method: 'S256' | 'plain';
  expiresAt: number;
}

interface Token {
  userId: string;
  scopes: string[];
  expiresAt: number;
}

export interface OAuthReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const json = (status: number, body: unknown): OAuthReply => ({ status, body });
const oauthError = (error: string, description: string, status = 400): OAuthReply =>
  json(status, { error, error_description: description });

export class OAuth2 {
  /** The application's client secret (developer portal, OAuth2 page). */
  readonly clientSecret = randomBytes(24).toString('base64url');
  private readonly redirectUris = new Set<string>();
  private readonly codes = new Map<string, Grant>();
  private readonly tokens = new Map<string, Token>();
  private readonly refreshTokens = new Map<string, Token>();
  private signedIn: string | null = null;
  /** Codes issued and tokens granted, for tests. */
  readonly stats = { codes: 0, tokens: 0, refused: 0 };

  constructor(private readonly world: World) {}

  get clientId(): string {
    return this.world.application.id;
  }

  /** Adds a redirect URI to the application, as in the developer portal's OAuth2 page (exact match). */
  registerRedirectUri(uri: string): void {
    this.redirectUris.add(uri);
  }

  /**
   * The user the browser is "signed in to Discord" as: /oauth2/authorize then grants at once, as
   * Discord does for an already-authorised app. null shows the test-user picker.
   */
  signInAs(userId: string | null): void {
    this.signedIn = userId;
  }

  /** Revokes every token of a user (e.g. to test a session whose Discord access ended). */
  revokeUser(userId: string): void {
    for (const m of [this.tokens, this.refreshTokens]) for (const [t, v] of m) if (v.userId === userId) m.delete(t);
  }

  private user(userId: string): SimUser | undefined {
    for (const g of this.world.guilds.values()) {
      const m = g.members.get(userId);
      if (m) return m.user;
    }
    return undefined;
  }

  /** GET /oauth2/authorize: redirect with ?code&state, a picker page, or a plain error page (bad client or redirect). */
  authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    const page = (status: number, html: string) =>
      res
        .writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><meta charset="utf-8"><title>Discord (simulated)</title>${html}`);
    if (q.get('client_id') !== this.clientId) return void page(400, '<p>Unknown application (client_id).</p>');
    if (!this.redirectUris.has(redirectUri)) return void page(400, '<p>Invalid OAuth2 redirect_uri.</p>');
    const back = (params: Record<string, string>) => {
      const to = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) to.searchParams.set(k, v);
      const state = q.get('state');
      if (state !== null) to.searchParams.set('state', state);
      res.writeHead(302, { location: to.toString() }).end();
    };
    if (q.get('response_type') !== 'code')
      return back({ error: 'unsupported_response_type', error_description: 'only code is supported' });
    const scopes = (q.get('scope') ?? '').split(/[ +]/).filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !KNOWN_SCOPES.has(s)))
      return back({
        error: 'invalid_scope',
        error_description: 'The requested scope is invalid, unknown, or malformed.',
      });
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method') ?? 'plain';
    if (challenge !== null && method !== 'S256' && method !== 'plain')
      return back({ error: 'invalid_request', error_description: 'code_challenge_method must be S256 or plain' });
    const userId = q.get('sim_user') ?? this.signedIn;
    if (userId === null) return void page(200, this.picker(url));
    if (!this.user(userId)) return back({ error: 'access_denied', error_description: 'unknown user' });
    if (q.get('sim_deny') === '1')
      return back({
        error: 'access_denied',
        error_description: 'The resource owner or authorization server denied the request',
      });
    const code = randomBytes(20).toString('base64url');
    this.codes.set(code, {
      userId,
      clientId: this.clientId,
      redirectUri,
      scopes,
      challenge,
      method: method as 'S256' | 'plain',
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    this.stats.codes++;
    back({ code });
  }

  /** Discord's consent screen stand-in: each guild's owner first, then a few members of each guild. */
  private picker(url: URL): string {
    const seen = new Set<string>();
    const items: string[] = [];
    for (const g of this.world.guilds.values()) {
      const humans = [...g.members.values()].filter((m) => !m.user.bot);
      for (const m of [g.members.get(g.ownerId)!, ...humans.slice(0, 3)]) {
        if (!m || seen.has(m.user.id)) continue;
        seen.add(m.user.id);
        const to = new URL(url);
        to.searchParams.set('sim_user', m.user.id);
        const role = m.user.id === g.ownerId ? `owner of ${g.name}` : `member of ${g.name}`;
        items.push(
          `<li><a href="${escapeHtml(to.pathname + to.search)}">${escapeHtml(m.user.username)}</a> (${escapeHtml(role)})</li>`,
        );
      }
    }
    return `<h1>Sign in as a test user</h1><ul>${items.join('')}</ul>`;
  }

  /** POST /api/oauth2/token (application/x-www-form-urlencoded; client credentials in the body or Basic auth). */
  token(req: IncomingMessage, raw: Buffer): OAuthReply {
    const form = new URLSearchParams(raw.toString('utf8'));
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) [clientId, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') as [string, string];
    if (clientId !== this.clientId || secret !== this.clientSecret)
      return this.refuse(oauthError('invalid_client', 'Invalid client', 401));
    const grantType = form.get('grant_type');
    if (grantType === 'refresh_token') {
      const old = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!old) return this.refuse(oauthError('invalid_grant', 'Invalid "refresh_token" in request.'));
      this.refreshTokens.delete(form.get('refresh_token')!);
      return json(200, this.issue(old.userId, old.scopes));
    }
    if (grantType !== 'authorization_code')
      return this.refuse(oauthError('unsupported_grant_type', 'Unsupported grant type'));
    const code = form.get('code') ?? '';
    const grant = this.codes.get(code);
    // Single use: a replayed code is refused even when the first exchange succeeded.
    this.codes.delete(code);
    if (!grant || grant.expiresAt < Date.now())
      return this.refuse(oauthError('invalid_grant', 'Invalid "code" in request.'));
    if (form.get('redirect_uri') !== grant.redirectUri)
      return this.refuse(oauthError('invalid_grant', 'Invalid "redirect_uri" in request.'));
    if (grant.challenge !== null) {
      const verifier = form.get('code_verifier') ?? '';
      const derived = grant.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || derived !== grant.challenge)
        return this.refuse(oauthError('invalid_grant', 'Invalid "code_verifier" in request.'));
    }
    return json(200, this.issue(grant.userId, grant.scopes));
  }

  private refuse(r: OAuthReply): OAuthReply {
    this.stats.refused++;
    return r;
  }

  private issue(userId: string, scopes: string[]): RESTPostOAuth2AccessTokenResult {
    const access = randomBytes(24).toString('base64url');
    const refresh = randomBytes(24).toString('base64url');
    const t = { userId, scopes, expiresAt: Date.now() + TOKEN_TTL_S * 1000 };
    this.tokens.set(access, t);
    this.refreshTokens.set(refresh, t);
    this.stats.tokens++;
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: TOKEN_TTL_S,
      refresh_token: refresh,
      scope: scopes.join(' '),
    };
  }

  /** Bearer-authenticated routes; null when the route is not one of them. */
  bearer(method: string, parts: string[], authorization: string): OAuthReply | null {
    if (
      method !== 'GET' ||
      parts[0] !== 'users' ||
      parts[1] !== '@me' ||
      parts.length > 3 ||
      (parts.length === 3 && parts[2] !== 'guilds')
    )
      return null;
    const t = this.tokens.get(authorization.replace(/^Bearer\s+/i, ''));
    if (!t || t.expiresAt < Date.now()) return json(401, { message: '401: Unauthorized', code: 0 });
    const user = this.user(t.userId);
    if (!user) return json(401, { message: '401: Unauthorized', code: 0 });
    if (parts.length === 2) {
      if (!t.scopes.includes(OAuth2Scopes.Identify)) return json(401, { message: '401: Unauthorized', code: 0 });
      return json(200, userJson(user) satisfies APIUser);
    }
    if (!t.scopes.includes(OAuth2Scopes.Guilds)) return json(403, { message: 'Missing Access', code: 50001 });
    const guilds: RESTGetAPICurrentUserGuildsResult = [];
    for (const g of this.world.guilds.values()) {
      if (!g.members.has(t.userId)) continue;
      guilds.push({
        id: g.id,
        name: g.name,
        icon: null,
        banner: null,
        owner: g.ownerId === t.userId,
        permissions: String(memberPermissions(g, t.userId)),
        features: [],
      });
    }
    guilds.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    return json(200, guilds);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

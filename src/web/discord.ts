// The dashboard's calls to Discord: the OAuth2 authorization URL (code grant with PKCE S256 and state),
// the token exchange, the signed-in user and their guilds (Bearer), and the bot's own guilds (Bot token).
// A 429 is waited out once (Retry-After), as Discord asks; anything else not 2xx is an error.
import { createHash, randomBytes } from 'node:crypto';
import type { APIUser, RESTGetAPICurrentUserGuildsResult, RESTPostOAuth2AccessTokenResult } from 'discord.js';

export const OAUTH_SCOPES = ['identify', 'guilds'] as const;

export interface DiscordOptions {
  /** REST base, e.g. https://discord.com/api (v10 appended). */
  apiUrl: string;
  /** Web origin of /oauth2/authorize, e.g. https://discord.com. */
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  botToken: string;
  redirectUri: string;
}

export interface UserGuild {
  id: string;
  name: string;
  owner: boolean;
  /** The member's guild-level permissions as Discord computed them (a decimal bitfield). */
  permissions: string;
}

export class DiscordError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DiscordError';
  }
}

/** A PKCE verifier (43 characters of base64url) and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export class DiscordClient {
  constructor(private readonly o: DiscordOptions) {}

  authorizeUrl(state: string, challenge: string): string {
    const u = new URL('/oauth2/authorize', this.o.oauthUrl);
    u.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.o.clientId,
      scope: OAUTH_SCOPES.join(' '),
      redirect_uri: this.o.redirectUri,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      prompt: 'none',
    }).toString();
    return u.toString();
  }

  async exchangeCode(code: string, verifier: string): Promise<RESTPostOAuth2AccessTokenResult> {
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.o.redirectUri,
      code_verifier: verifier,
    });
    const basic = Buffer.from(`${this.o.clientId}:${this.o.clientSecret}`).toString('base64');
    return this.call<RESTPostOAuth2AccessTokenResult>('POST', '/oauth2/token', `Basic ${basic}`, body);
  }

  user(accessToken: string): Promise<APIUser> {
    return this.call<APIUser>('GET', '/users/@me', `Bearer ${accessToken}`);
  }

  async userGuilds(accessToken: string): Promise<UserGuild[]> {
    const list = await this.call<RESTGetAPICurrentUserGuildsResult>(
      'GET',
      '/users/@me/guilds',
      `Bearer ${accessToken}`,
    );
    return list.map((g) => ({ id: g.id, name: g.name, owner: g.owner, permissions: g.permissions }));
  }

  /** Every guild the bot is in, 200 per page. */
  async botGuildIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    let after = '0';
    for (;;) {
      const page = await this.call<RESTGetAPICurrentUserGuildsResult>(
        'GET',
        `/users/@me/guilds?limit=200&after=${after}`,
        `Bot ${this.o.botToken}`,
      );
      for (const g of page) ids.add(g.id);
      if (page.length < 200) return ids;
      after = page[page.length - 1]!.id;
    }
  }

  private async call<T>(
    method: string,
    path: string,
    authorization: string,
    body?: URLSearchParams,
    retried = false,
  ): Promise<T> {
    const res = await fetch(`${this.o.apiUrl}/v10${path}`, {
      method,
      headers: { authorization, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status === 429 && !retried) {
      const after = Math.min(10, Number(res.headers.get('retry-after') ?? 1));
      await new Promise((r) => setTimeout(r, after * 1000));
      return this.call(method, path, authorization, body, true);
    }
    if (!res.ok)
      throw new DiscordError(res.status, `Discord answered ${res.status} to ${method} ${path.split('?')[0]}`);
    return (await res.json()) as T;
  }
}

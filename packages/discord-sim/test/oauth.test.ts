// OAuth2 authorization-code grant with PKCE as Discord does it: authorize redirects with code and state,
// the token exchange checks client, redirect URI and verifier and takes a code once, Bearer routes answer
// the user and their guilds with computed permissions.
import { createHash, randomBytes } from 'node:crypto';
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';

let sim: Simulator;
const redirect = 'http://127.0.0.1:9/callback';
beforeAll(async () => {
  sim = await startSimulator({ guilds: 4, seed: 7 });
  sim.oauth.registerRedirectUri(redirect);
});
afterAll(() => sim.close());

const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');

function authorizeUrl(extra: Record<string, string> = {}): string {
  const u = new URL('/oauth2/authorize', sim.baseUrl);
  const q = {
    response_type: 'code',
    client_id: sim.oauth.clientId,
    scope: 'identify guilds',
    redirect_uri: redirect,
    state: 's1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  return u.toString();
}

async function codeFor(userId: string): Promise<string> {
  const r = await fetch(authorizeUrl({ sim_user: userId }), { redirect: 'manual' });
  expect(r.status).toBe(302);
  const to = new URL(r.headers.get('location')!);
  expect(to.origin + to.pathname).toBe(redirect);
  expect(to.searchParams.get('state')).toBe('s1');
  return to.searchParams.get('code')!;
}

/** The token endpoint is rate limited like every route: wait out a 429 as a client must. */
async function exchange(form: Record<string, string>): Promise<Response> {
  for (;;) {
    const r = await fetch(`${sim.apiUrl}/v10/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    if (r.status !== 429) return r;
    // wall-clock on purpose: the token endpoint's rate limit runs on real time; Retry-After says how long.
    await new Promise((done) => setTimeout(done, Number(r.headers.get('retry-after') ?? 1) * 1000));
  }
}

const form = (code: string, extra: Record<string, string> = {}) => ({
  grant_type: 'authorization_code',
  code,
  redirect_uri: redirect,
  code_verifier: verifier,
  client_id: sim.oauth.clientId,
  client_secret: sim.oauth.clientSecret,
  ...extra,
});

describe('OAuth2', () => {
  it('grants a code, exchanges it once, and answers /users/@me and /users/@me/guilds', async () => {
    const guild = [...sim.world.guilds.values()][0]!;
    const owner = guild.ownerId;
    const r = await exchange(form(await codeFor(owner)));
    expect(r.status).toBe(200);
    const token = (await r.json()) as { access_token: string; token_type: string; scope: string };
    expect(token).toMatchObject({ token_type: 'Bearer', scope: 'identify guilds' });
    const auth = { authorization: `Bearer ${token.access_token}` };
    const me = (await (await fetch(`${sim.apiUrl}/v10/users/@me`, { headers: auth })).json()) as { id: string };
    expect(me.id).toBe(owner);
    const guilds = (await (await fetch(`${sim.apiUrl}/v10/users/@me/guilds`, { headers: auth })).json()) as {
      id: string;
      owner: boolean;
      permissions: string;
    }[];
    const expected = [...sim.world.guilds.values()].filter((g) => g.members.has(owner)).map((g) => g.id);
    expect(guilds.map((g) => g.id).sort()).toEqual(expected.sort());
    const own = guilds.find((g) => g.id === guild.id)!;
    expect(own.owner).toBe(true);
    expect(BigInt(own.permissions) & PermissionFlagsBits.ManageGuild).toBe(PermissionFlagsBits.ManageGuild);
    // A plain member: their permissions are @everyone's and their roles' (no Manage Server in the world's plain roles).
    const plain = [...guild.members.values()].find((m) => !m.user.bot && m.roles.length === 0)!;
    const t2 = (await (await exchange(form(await codeFor(plain.user.id)))).json()) as { access_token: string };
    const g2 = (await (
      await fetch(`${sim.apiUrl}/v10/users/@me/guilds`, { headers: { authorization: `Bearer ${t2.access_token}` } })
    ).json()) as { id: string; permissions: string }[];
    expect(BigInt(g2.find((g) => g.id === guild.id)!.permissions) & PermissionFlagsBits.ManageGuild).toBe(0n);
  });

  it('refuses a replayed code, a wrong verifier, a wrong redirect URI, a wrong secret and an unknown Bearer token', async () => {
    const owner = [...sim.world.guilds.values()][0]!.ownerId;
    const code = await codeFor(owner);
    expect((await exchange(form(code))).status).toBe(200);
    const replay = await exchange(form(code));
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect(
      (await exchange(form(await codeFor(owner), { code_verifier: randomBytes(32).toString('base64url') }))).status,
    ).toBe(400);
    expect((await exchange(form(await codeFor(owner), { redirect_uri: 'http://127.0.0.1:9/other' }))).status).toBe(400);
    expect((await exchange(form(await codeFor(owner), { client_secret: 'nope' }))).status).toBe(401);
    expect((await fetch(`${sim.apiUrl}/v10/users/@me`, { headers: { authorization: 'Bearer forged' } })).status).toBe(
      401,
    );
    // An unregistered redirect URI never receives a code: Discord shows an error page instead.
    const bad = await fetch(authorizeUrl({ redirect_uri: 'http://evil.example/cb', sim_user: owner }), {
      redirect: 'manual',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('location')).toBeNull();
  });

  it('shows a test-user picker without a signed-in user, and grants at once after signInAs', async () => {
    const page = await fetch(authorizeUrl(), { redirect: 'manual' });
    expect(page.status).toBe(200);
    const html = await page.text();
    const owner = [...sim.world.guilds.values()][0]!.ownerId;
    expect(html).toContain(`sim_user=${owner}`);
    sim.oauth.signInAs(owner);
    const r = await fetch(authorizeUrl(), { redirect: 'manual' });
    sim.oauth.signInAs(null);
    expect(r.status).toBe(302);
    expect(new URL(r.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it("lists the bot's guilds to the bot token", async () => {
    const r = await fetch(`${sim.apiUrl}/v10/users/@me/guilds`, { headers: { authorization: `Bot ${sim.token}` } });
    const guilds = (await r.json()) as { id: string }[];
    expect(guilds.map((g) => g.id).sort()).toEqual([...sim.world.guilds.keys()].sort());
  });
});

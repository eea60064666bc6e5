// Every REST body the simulator serves, validated against Discord's OpenAPI spec (github.com/discord/
// discord-api-spec, as Zod schemas from the npm package discord-api-spec): for each route, the schema of
// its 200/201 response in the spec. The routes are exercised the way a bot uses them (command registration,
// an interaction answered by callback, @original edits and follow-ups), and the test fails if the
// simulator served a route that has no entry here, or an entry names a path the spec does not have.
import { pathsList } from 'discord-api-spec';
import * as S from 'discord-api-spec/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { startSimulator, type Simulator } from '../src/index.js';
import { RawGateway, tinyPng, until } from './helpers.js';

type Method = keyof typeof pathsList;

/** The Zod schema of the spec's component `name` (e.g. "GuildMemberResponse"). */
function c(name: string): z.ZodMiniType {
  const schema = S[`${name}Schema`];
  if (!schema) throw new Error(`the spec has no component ${name}`);
  return schema;
}
interface Check {
  method: Method;
  /** The path as the spec names it. */
  spec: string;
  schema: z.ZodMiniType;
}

const list = (s: z.ZodMiniType) => z.nullable(z.array(s));
const channel = z.union([
  c('GuildChannelResponse'),
  c('PrivateChannelResponse'),
  c('PrivateGroupChannelResponse'),
  c('ThreadResponse'),
]);
const invite = z.nullable(z.union([c('FriendInviteResponse'), c('GroupDMInviteResponse'), c('GuildInviteResponse')]));

/** The 200/201 response schema of each route the simulator serves, as the spec's Paths type names them. */
const CHECKS: Check[] = [
  { method: 'get', spec: '/gateway', schema: c('GatewayResponse') },
  { method: 'get', spec: '/gateway/bot', schema: c('GatewayBotResponse') },
  { method: 'get', spec: '/users/@me', schema: c('UserPIIResponse') },
  { method: 'get', spec: '/users/{user_id}', schema: c('UserResponse') },
  { method: 'get', spec: '/applications/@me', schema: c('PrivateApplicationResponse') },
  { method: 'put', spec: '/applications/{application_id}/commands', schema: list(c('ApplicationCommandResponse')) },
  { method: 'get', spec: '/applications/{application_id}/commands', schema: list(c('ApplicationCommandResponse')) },
  { method: 'post', spec: '/applications/{application_id}/commands', schema: c('ApplicationCommandResponse') },
  {
    method: 'get',
    spec: '/applications/{application_id}/commands/{command_id}',
    schema: c('ApplicationCommandResponse'),
  },
  {
    method: 'patch',
    spec: '/applications/{application_id}/commands/{command_id}',
    schema: c('ApplicationCommandResponse'),
  },
  {
    method: 'put',
    spec: '/applications/{application_id}/guilds/{guild_id}/commands',
    schema: list(c('ApplicationCommandResponse')),
  },
  {
    method: 'get',
    spec: '/applications/{application_id}/guilds/{guild_id}/commands',
    schema: list(c('ApplicationCommandResponse')),
  },
  { method: 'get', spec: '/guilds/{guild_id}', schema: c('GuildWithCountsResponse') },
  { method: 'get', spec: '/guilds/{guild_id}/invites', schema: z.nullable(z.array(invite)) },
  { method: 'get', spec: '/guilds/{guild_id}/vanity-url', schema: c('VanityURLResponse') },
  { method: 'get', spec: '/guilds/{guild_id}/channels', schema: list(channel) },
  { method: 'get', spec: '/guilds/{guild_id}/roles', schema: z.array(c('GuildRoleResponse')) },
  { method: 'get', spec: '/guilds/{guild_id}/threads/active', schema: c('ThreadsResponse') },
  { method: 'get', spec: '/guilds/{guild_id}/members', schema: z.array(c('GuildMemberResponse')) },
  { method: 'get', spec: '/guilds/{guild_id}/members/{user_id}', schema: c('GuildMemberResponse') },
  { method: 'get', spec: '/channels/{channel_id}', schema: channel },
  { method: 'patch', spec: '/channels/{channel_id}', schema: channel },
  { method: 'post', spec: '/channels/{channel_id}/messages', schema: c('MessageResponse') },
  { method: 'get', spec: '/channels/{channel_id}/messages', schema: list(c('MessageResponse')) },
  {
    method: 'post',
    spec: '/interactions/{interaction_id}/{interaction_token}/callback',
    schema: c('InteractionCallbackResponse'),
  },
  { method: 'patch', spec: '/webhooks/{webhook_id}/{webhook_token}/messages/@original', schema: c('MessageResponse') },
  { method: 'get', spec: '/webhooks/{webhook_id}/{webhook_token}/messages/@original', schema: c('MessageResponse') },
  { method: 'post', spec: '/webhooks/{webhook_id}/{webhook_token}', schema: c('MessageResponse') },
  { method: 'get', spec: '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}', schema: c('MessageResponse') },
  {
    method: 'patch',
    spec: '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}',
    schema: c('MessageResponse'),
  },
];
/** Routes answered 204 (no body), which the spec gives no schema for. */
const NO_CONTENT: Pick<Check, 'method' | 'spec'>[] = [
  { method: 'delete', spec: '/applications/{application_id}/commands/{command_id}' },
  { method: 'delete', spec: '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}' },
];

/** "GET /guilds/{}/roles": a route with its placeholders' names dropped, as both sides name them differently. */
const shape = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '{}')}`;

let sim: Simulator;
let raw: RawGateway;
const validated = new Set<string>();

/** Calls the route (a JSON body, or multipart FormData as bots send files) and validates the answer. */
async function call(method: Method, spec: string, path: string, body?: unknown): Promise<unknown> {
  const check = CHECKS.find((c) => c.method === method && c.spec === spec);
  if (!check) throw new Error(`no schema for ${method} ${spec}`);
  const form = body instanceof FormData;
  const r = await fetch(`${sim.apiUrl}/v10${path}`, {
    method: method.toUpperCase(),
    headers: { authorization: `Bot ${sim.token}`, ...(form ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: form ? body : JSON.stringify(body) }),
  });
  expect(r.status, `${method} ${path}`).toBeLessThan(300);
  const json: unknown = await r.json();
  const result = check.schema.safeParse(json);
  expect(
    result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    `${method.toUpperCase()} ${spec}`,
  ).toEqual([]);
  validated.add(shape(method, spec));
  return json;
}

beforeAll(async () => {
  sim = await startSimulator({ guilds: 3, seed: 9, invites: true });
  raw = await RawGateway.open(sim.gatewayUrl);
  await raw.identify(sim.token, { intents: 1 | (1 << 9) | (1 << 15) });
});
afterAll(async () => {
  raw?.close();
  await sim?.close();
});

describe("REST bodies against Discord's OpenAPI spec", () => {
  it('names only paths the spec has', () => {
    for (const c of [...CHECKS, ...NO_CONTENT]) expect(pathsList[c.method], `${c.method} ${c.spec}`).toContain(c.spec);
  });

  it('gateway, users and the application', async () => {
    await call('get', '/gateway', '/gateway');
    await call('get', '/gateway/bot', '/gateway/bot');
    await call('get', '/users/@me', '/users/@me');
    const g = [...sim.world.guilds.values()][0]!;
    await call('get', '/users/{user_id}', `/users/${sim.world.humanMembers(g.id)[0]!.user.id}`);
    await call('get', '/applications/@me', '/applications/@me');
  });

  it('command registration, global and per guild', async () => {
    const app = sim.world.application.id;
    const g = [...sim.world.guilds.keys()][0]!;
    const commands = [
      {
        name: 'stats',
        description: 'Server statistics',
        options: [
          {
            type: 1,
            name: 'server',
            description: 'This server',
            options: [{ type: 3, name: 'period', description: 'Period', choices: [{ name: '7 days', value: '7d' }] }],
          },
        ],
      },
      { name: 'Show stats', type: 2 },
      { name: 'Count words', type: 3 },
    ];
    const put = (await call(
      'put',
      '/applications/{application_id}/commands',
      `/applications/${app}/commands`,
      commands,
    )) as { id: string; type: number; description: string }[];
    expect(put.filter((c) => c.type !== 1).map((c) => c.description)).toEqual(['', '']);
    await call('get', '/applications/{application_id}/commands', `/applications/${app}/commands`);
    const created = (await call('post', '/applications/{application_id}/commands', `/applications/${app}/commands`, {
      name: 'ping',
      description: 'Ping',
    })) as { id: string };
    await call(
      'get',
      '/applications/{application_id}/commands/{command_id}',
      `/applications/${app}/commands/${created.id}`,
    );
    await call(
      'patch',
      '/applications/{application_id}/commands/{command_id}',
      `/applications/${app}/commands/${created.id}`,
      { description: 'Pong' },
    );
    const del = await fetch(`${sim.apiUrl}/v10/applications/${app}/commands/${created.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bot ${sim.token}` },
    });
    expect(del.status).toBe(204);
    validated.add(shape('delete', '/applications/{application_id}/commands/{command_id}'));
    await call(
      'put',
      '/applications/{application_id}/guilds/{guild_id}/commands',
      `/applications/${app}/guilds/${g}/commands`,
      commands,
    );
    await call(
      'get',
      '/applications/{application_id}/guilds/{guild_id}/commands',
      `/applications/${app}/guilds/${g}/commands`,
    );
  });

  it('guilds, their channels, roles, threads, members, invites and vanity URL', async () => {
    // Invites need Manage Server: give the bot's role Administrator for this test's guild.
    const g = [...sim.world.guilds.values()].find((x) => x.vanity)!;
    const botRole = g.roles.find((r) => r.botId === sim.world.botUser.id)!;
    botRole.permissions = (BigInt(botRole.permissions) | 8n).toString();
    await call('get', '/guilds/{guild_id}', `/guilds/${g.id}`);
    const invites = (await call('get', '/guilds/{guild_id}/invites', `/guilds/${g.id}/invites`)) as unknown[];
    expect(invites.length).toBeGreaterThan(0);
    await call('get', '/guilds/{guild_id}/vanity-url', `/guilds/${g.id}/vanity-url`);
    await call('get', '/guilds/{guild_id}/channels', `/guilds/${g.id}/channels`);
    await call('get', '/guilds/{guild_id}/roles', `/guilds/${g.id}/roles`);
    const threads = (await call('get', '/guilds/{guild_id}/threads/active', `/guilds/${g.id}/threads/active`)) as {
      threads: unknown[];
    };
    expect(threads.threads.length).toBeGreaterThan(0);
    await call('get', '/guilds/{guild_id}/members', `/guilds/${g.id}/members?limit=1000`);
    await call('get', '/guilds/{guild_id}/members/{user_id}', `/guilds/${g.id}/members/${sim.world.botUser.id}`);
    for (const c of g.channels) await call('get', '/channels/{channel_id}', `/channels/${c.id}`);
    const text = sim.world.textChannels(g.id)[0]!;
    const [author, other] = sim.world.humanMembers(g.id);
    sim.seedHistory({
      guildId: g.id,
      channelId: text.id,
      authorId: author!.user.id,
      content: `hi <@${other!.user.id}> 🎉`,
      attachments: 2,
      timestamp: Date.now() - 3_600_000,
    });
    const page = (await call(
      'get',
      '/channels/{channel_id}/messages',
      `/channels/${text.id}/messages?limit=100`,
    )) as unknown[];
    expect(page.length).toBeGreaterThan(0);
  });

  it('a channel renamed and messages posted by the bot, with a file', async () => {
    const g = [...sim.world.guilds.values()][1]!;
    const botRole = g.roles.find((r) => r.botId === sim.world.botUser.id)!;
    botRole.permissions = (BigInt(botRole.permissions) | 16n).toString(); // Manage Channels
    await call('patch', '/channels/{channel_id}', `/channels/${sim.world.voiceChannels(g.id)[0]!.id}`, {
      name: '👥 Members: 12',
    });
    const text = sim.world.textChannels(g.id)[0]!.id;
    await call('post', '/channels/{channel_id}/messages', `/channels/${text}/messages`, {
      content: 'hello',
      allowed_mentions: { parse: [] },
    });
    const form = new FormData();
    form.set(
      'payload_json',
      JSON.stringify({
        embeds: [{ title: 'Digest', image: { url: 'attachment://chart.png' } }],
        attachments: [{ id: 0, filename: 'chart.png' }],
      }),
    );
    form.set('files[0]', new Blob([tinyPng()], { type: 'image/png' }), 'chart.png');
    await call('post', '/channels/{channel_id}/messages', `/channels/${text}/messages`, form);
    expect(sim.channelMessages.posted.at(-1)!.files.map((f) => f.name)).toEqual(['chart.png']);
  });

  it('interactions answered: a deferred callback, @original edit and read, follow-up created, read, edited, deleted; a direct reply', async () => {
    const g = [...sim.world.guilds.values()].find((x) => sim.shardOf(x.id) === 0)!;
    const invoke = () =>
      sim.invokeCommand({
        guildId: g.id,
        channelId: sim.world.textChannels(g.id)[0]!.id,
        userId: sim.world.humanMembers(g.id)[0]!.user.id,
        name: 'stats',
        subcommand: 'server',
      });
    const next = async () => {
      const seen = raw.dispatches('INTERACTION_CREATE').length;
      const reply = invoke();
      await until(() => raw.dispatches('INTERACTION_CREATE').length > seen, 5000, 'INTERACTION_CREATE');
      return {
        reply,
        i: raw.dispatches('INTERACTION_CREATE')[seen]!.d as { id: string; token: string; application_id: string },
      };
    };

    const { reply, i } = await next();
    const deferred = (await call(
      'post',
      '/interactions/{interaction_id}/{interaction_token}/callback',
      `/interactions/${i.id}/${i.token}/callback?with_response=true`,
      { type: 5 },
    )) as { interaction: { response_message_loading: boolean }; resource?: unknown };
    expect(deferred.interaction.response_message_loading).toBe(true);
    expect(deferred.resource).toBeUndefined(); // no message yet
    const hook = `/webhooks/${i.application_id}/${i.token}`;
    // As a bot sends a chart: multipart, payload_json with the embed pointing at the attached file.
    const form = new FormData();
    form.set(
      'payload_json',
      JSON.stringify({
        content: 'done',
        embeds: [
          { title: 'Stats', fields: [{ name: 'Messages', value: '42' }], image: { url: 'attachment://chart.png' } },
        ],
        attachments: [{ id: 0, filename: 'chart.png' }],
      }),
    );
    form.set('files[0]', new Blob([tinyPng()], { type: 'image/png' }), 'chart.png');
    const edited = (await call(
      'patch',
      '/webhooks/{webhook_id}/{webhook_token}/messages/@original',
      `${hook}/messages/@original`,
      form,
    )) as { attachments: { filename: string }[] };
    expect(edited.attachments.map((a) => a.filename)).toEqual(['chart.png']);
    expect((await reply).content).toBe('done');
    await call('get', '/webhooks/{webhook_id}/{webhook_token}/messages/@original', `${hook}/messages/@original`);
    const follow = (await call('post', '/webhooks/{webhook_id}/{webhook_token}', `${hook}?wait=true`, {
      content: 'and more',
    })) as { id: string };
    await call('get', '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}', `${hook}/messages/${follow.id}`);
    await call(
      'patch',
      '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}',
      `${hook}/messages/${follow.id}`,
      { content: 'edited' },
    );
    const del = await fetch(`${sim.apiUrl}/v10${hook}/messages/${follow.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    validated.add(shape('delete', '/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}'));

    const direct = await next();
    const answered = (await call(
      'post',
      '/interactions/{interaction_id}/{interaction_token}/callback',
      `/interactions/${direct.i.id}/${direct.i.token}/callback?with_response=true`,
      { type: 4, data: { content: 'pong' } },
    )) as { resource: { type: number; message: { content: string } } };
    expect(answered.resource).toMatchObject({ type: 4, message: { content: 'pong' } });
    expect((await direct.reply).content).toBe('pong');
  });

  it('gateway dispatches carry the same objects: GUILD_CREATE channels, threads, roles, members, emojis; MESSAGE_CREATE', async () => {
    const valid = (schema: z.ZodMiniType, value: unknown, what: string) => {
      const r = schema.safeParse(value);
      expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), what).toEqual([]);
    };
    await until(() => raw.dispatches('GUILD_CREATE').length === sim.world.guilds.size, 5000, 'GUILD_CREATEs');
    for (const f of raw.dispatches('GUILD_CREATE')) {
      const g = f.d as {
        channels: unknown[];
        threads: unknown[];
        roles: unknown[];
        members: unknown[];
        emojis: unknown[];
      };
      for (const x of g.channels) valid(c('GuildChannelResponse'), x, 'GUILD_CREATE channel');
      for (const x of g.threads) valid(c('ThreadResponse'), x, 'GUILD_CREATE thread');
      for (const x of g.roles) valid(c('GuildRoleResponse'), x, 'GUILD_CREATE role');
      for (const x of g.members) valid(c('GuildMemberResponse'), x, 'GUILD_CREATE member');
      for (const x of g.emojis) valid(c('EmojiResponse'), x, 'GUILD_CREATE emoji');
    }
    const g = [...sim.world.guilds.values()].find((x) => sim.shardOf(x.id) === 0)!;
    const [author, mentioned] = sim.world.humanMembers(g.id);
    const sent = sim.sendMessage({
      guildId: g.id,
      channelId: sim.world.textChannels(g.id)[0]!.id,
      authorId: author!.user.id,
      content: `hi <@${mentioned!.user.id}>`,
      attachments: 2,
    });
    await until(
      () => raw.dispatches('MESSAGE_CREATE').some((f) => (f.d as { id: string }).id === sent.id),
      5000,
      'MESSAGE_CREATE',
    );
    valid(
      c('MessageResponse'),
      raw.dispatches('MESSAGE_CREATE').find((f) => (f.d as { id: string }).id === sent.id)!.d,
      'MESSAGE_CREATE',
    );
  });

  it('errors and 429s in the shapes the spec gives them', async () => {
    const unknown = await fetch(`${sim.apiUrl}/v10/guilds/123456789012345678`, {
      headers: { authorization: `Bot ${sim.token}` },
    });
    expect(unknown.status).toBe(404);
    expect(c('ErrorResponse').safeParse(await unknown.json()).success).toBe(true);
    let limited: Response | undefined;
    for (let n = 0; n < 3 && !limited; n++) {
      const r = await fetch(`${sim.apiUrl}/v10/gateway/bot`, { headers: { authorization: `Bot ${sim.token}` } });
      if (r.status === 429) limited = r;
    }
    expect(limited).toBeDefined();
    expect(c('RatelimitedResponse').safeParse(await limited!.json()).success).toBe(true);
  });

  it('served no route that is not checked here', () => {
    const served = [...sim.restStats.routes.keys()].map((r) => shape(r.split(' ')[0]!, r.split(' ')[1]!));
    expect(served.filter((r) => !validated.has(r))).toEqual([]);
  });
});

// `npm run demo`: the whole system on one machine without a Discord token. Embedded PostgreSQL and Redis
// (unless DATABASE_URL / REDIS_URL are set), the local Discord simulator, 2 cluster processes × 2 shards,
// an ingest worker; sends traffic of every family (messages, emojis, reactions, other apps' commands,
// member joins through invites, voice), asks /stats server in a few guilds, writes the PNG replies to
// demo-output/ and shows that the database equals the simulator's ground truth, family by family; then
// channel counters renamed by the scheduler and a digest preview.
//   npm run demo -- [--duration SECONDS] [--guilds N] [--messages N] [--rate PER_SECOND] [--history-hours H] [--backfill-messages N] [--web-port P]
// The dashboard (src/web) runs too; the demo prints a link that signs in as a demo admin.
// The first --messages are backdated over the last --history-hours (default 24) so the charts have a
// day of history; traffic after that is live. Before the bot connects, --backfill-messages per guild (default
// 300) are laid down as history older than that (up to 29 days), which the backfill reads back through REST.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { resolveServices } from './embedded.js';
import { sendMixedTraffic, type MixedTraffic } from 'discord-sim';
import { sleep, startStack } from './stack.js';
import { rawMessageSummary } from '../src/stats/queries.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    guilds: { type: 'string', default: '24' },
    messages: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '2000' },
    'history-hours': { type: 'string', default: '24' },
    // Messages per guild from before the bot joined (up to 30 days back), read back by the backfill.
    'backfill-messages': { type: 'string', default: '300' },
    out: { type: 'string', default: 'demo-output' },
    'web-port': { type: 'string', default: '0' },
  },
});
const positive = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive whole number, got "${v}"`);
    process.exit(2);
  }
  return n;
};
const guilds = positive('guilds', args.guilds);
const messages = positive('messages', args.messages);
const rate = positive('rate', args.rate);
const historyHours = positive('history-hours', args['history-hours']);
const backfillMessages = positive('backfill-messages', args['backfill-messages']);
const durationMs = args.duration === undefined ? undefined : positive('duration', args.duration) * 1000;
const started = Date.now();

const config = loadConfig();
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', { role: 'demo' });
const say = (line: string) => console.log(line);

say('starting services…');
const services = await resolveServices(config, logger);
say(
  `  PostgreSQL: ${services.embedded.postgres ? 'embedded' : 'DATABASE_URL'}   Redis: ${services.embedded.redis ? 'embedded' : 'REDIS_URL'}`,
);
await migrate(services.databaseUrl, logger);

say(
  `starting the simulator (${guilds} guilds), 2 cluster processes × 2 shards, the interactions service and the scheduler…`,
);
const stack = await startStack({
  databaseUrl: services.databaseUrl,
  redisUrl: services.redisUrl,
  logger,
  guilds,
  totalShards: 4,
  shardsPerCluster: 2,
  env: { VOICE_CREDIT_INTERVAL_MS: '5000', PRESENCE_INTENT: 'true', BACKFILL_ON_JOIN: 'true', BACKFILL_POLL_MS: '500' },
  // History that predates the bot: never dispatched, only readable through GET /channels/{id}/messages.
  beforeStart(s) {
    const past = s.historyChat({
      fromMs: started - 29 * 86_400_000,
      toMs: started - historyHours * 3_600_000 - 3_600_000,
      seed: 0xbac,
    });
    for (const g of s.world.guilds.keys()) {
      const humans = s.world.humanMembers(g);
      const channels = s.world.textChannels(g);
      for (let i = 0; i < backfillMessages; i++) {
        past.sendMessage({
          guildId: g,
          channelId: channels[i % channels.length]!.id,
          authorId: humans[(i * 7) % humans.length]!.user.id,
          content: `an older message, number ${i}`,
        });
      }
    }
  },
  // Commands as a production deployment answers them: over HTTP, off the shards' event loop.
  interactions: 'http',
  web: { port: Number(args['web-port']) || 0 },
  // Counters and digests run on the scheduler (in this process, as one replica would).
  scheduler: { start: true },
});
const { sim } = stack;
say(`  simulator at ${sim.apiUrl}; shards ready: ${sim.readyShards().join(', ')}`);
say(`  interactions service at ${stack.interactionsUrl} (the simulator's Interactions Endpoint URL)`);

let stopping = false;
async function finish(code: number): Promise<never> {
  stopping = true;
  await stack.stop().catch((err: unknown) => logger.error({ err }, 'stack stop failed'));
  await services.stop();
  process.exit(code);
}
process.on('SIGINT', () => void finish(0));
process.on('SIGTERM', () => void finish(0));

// One line redrawn in place on a terminal; a line per 10% when piped to a file or CI log.
let lastProgress = 0;
function progress(sent: number, total: number): void {
  const pct = Math.floor((100 * sent) / total);
  if (process.stdout.isTTY) {
    if (Date.now() - lastProgress < 200 && sent < total) return;
    process.stdout.write(`\r  sending messages: ${sent}/${total} (${pct}%)   `);
  } else {
    if (Math.floor(pct / 10) === Math.floor(lastProgress / 10) && sent < total) return;
    say(`  sending messages: ${sent}/${total} (${pct}%)`);
  }
  lastProgress = process.stdout.isTTY ? Date.now() : pct;
}

try {
  // Backfills first: the live traffic below is dated into the past (which Discord never does), and must
  // not land in the history a backfill is still paging through.
  say(
    `backfilling ${backfillMessages} messages per guild from before the bot joined (GET /channels/{id}/messages, within Discord's rate limits)…`,
  );
  const t0 = Date.now();
  for (;;) {
    const { rows } = await stack.pool.query<{ done: string; all: string; loaded: string }>(
      `SELECT count(*) FILTER (WHERE state = 'done')::text AS done, count(*)::text AS all,
              (SELECT coalesce(sum(messages_loaded), 0) FROM backfill_channels)::text AS loaded FROM backfill_jobs`,
    );
    const r = rows[0]!;
    if (Number(r.all) >= guilds && r.done === r.all) {
      say(
        `  ${r.done} guilds backfilled in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${r.loaded} messages loaded; REST 429s: ${sim.restStats.rateLimited.user + sim.restStats.rateLimited.global}`,
      );
      break;
    }
    if (Date.now() - t0 > 300_000) throw new Error(`backfills not done after 5 min (${r.done}/${r.all})`);
    await sleep(500);
  }
  say(
    `sending ${messages} messages at ~${rate}/s dated over the last ${historyHours} h, then emojis, reactions, other apps' commands, member joins and voice…`,
  );
  const traffic = await sendMixedTraffic(sim, {
    messages,
    ratePerSec: rate,
    historyMs: historyHours * 3_600_000 - 600_000,
    onProgress: (n) => progress(n, messages),
    emojiMessages: Math.ceil(messages / 10),
    reactions: Math.ceil(messages / 10),
    appMessages: Math.ceil(messages / 40),
    joins: 20,
    voiceMembers: 24,
    activityMembers: 24,
    betweenJoins: () => stack.memberEventsSettled(),
  });
  if (process.stdout.isTTY) process.stdout.write('\n');
  say('  24 members in voice and 24 playing for ~12 s (muting, streaming, moving)…');
  await sleep(6_000);
  traffic.shuffleVoice();
  await sleep(6_000);
  traffic.endVoice();
  await stack.memberEventsSettled();
  const ingest = await stack.ingestUntilMatch(120_000);
  say(`  ingested ${ingest.rows} rows (all families) in ${ingest.rounds} rounds`);
  const families = await familiesAgree(traffic);
  say(
    `  emojis: ${sim.truth.emojiUses.size} (guild, member, emoji, source) keys, database == ground truth ${families.emojis ? '✓' : '✗'}`,
  );
  say(`  app commands: ${sim.truth.appUses.size} keys, database == ground truth ${families.apps ? '✓' : '✗'}`);
  say(
    `  members: ${sim.members.joins.length} joins, ${sim.members.leaves.length} leaves, attributions == expected ${families.members ? '✓' : '✗'}`,
  );
  say(
    `  voice: ${traffic.voice.truth().size} (guild, channel, member) keys, every one within 1 s of ground truth ${families.voice ? '✓' : '✗'}`,
  );
  say(
    `  activities: ${traffic.presence.truth().size} (guild, member, game) keys, every one within 1 s of ground truth ${families.activities ? '✓' : '✗'}`,
  );

  await mkdir(args.out!, { recursive: true });
  const guildIds = [...sim.world.guilds.keys()].slice(0, 3);
  const periodHours = historyHours <= 24 ? 24 : historyHours <= 168 ? 168 : 720;
  const period = { 24: '24h', 168: '7d', 720: '30d' }[periodHours]!;
  for (const guildId of guildIds) {
    const guild = sim.world.guilds.get(guildId)!;
    const channel = sim.world.textChannels(guildId)[0]!;
    const member = sim.world.humanMembers(guildId)[0]!;
    const reply = await sim.invokeCommand({
      guildId,
      channelId: channel.id,
      userId: member.user.id,
      name: 'stats',
      subcommand: 'server',
      options: [{ name: 'period', type: 3, value: period }],
    });
    const png = reply.files.find((f) => f.contentType === 'image/png' || f.name.endsWith('.png'));
    const file = path.join(args.out!, `stats-server-${guildId}.png`);
    if (png) await writeFile(file, png.data);
    const fields = (reply.embeds[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? [];
    const shown = fields.find((f) => f.name === 'Messages')?.value ?? '?';
    // Within the period asked for: the backfilled history lies before it.
    const from = Date.now() - periodHours * 3_600_000;
    const truth = sim.truth.messages.filter(
      (m) => m.guildId === guildId && !m.bot && !m.webhook && m.timestamp >= from,
    ).length;
    say(
      `  /stats server in ${guild.name}: embed says ${shown} messages, ground truth ${truth}${png ? `, chart ${file}` : `, no chart: ${reply.content}`}`,
    );
  }
  // The server where most happened in voice and membership shows every command kind with data.
  const score = (g: string) =>
    [...traffic.voice.truth().keys()].filter((k) => k.startsWith(`${g}|`)).length +
    sim.members.joins.filter((j) => j.guildId === g).length;
  const busiest = [...sim.world.guilds.keys()].sort((a, b) => score(b) - score(a))[0]!;
  await everyCommand(busiest);
  await countersAndDigest(busiest);
  await activityRoles(busiest);

  // The dashboard: the simulator's "browser" is signed in to Discord as the busiest server's owner, so the
  // sign-in link goes straight through OAuth2 (the picker at /oauth2/authorize offers other test users).
  const owner = sim.world.guild(busiest)!;
  sim.oauth.signInAs(owner.ownerId);
  say(
    `dashboard: ${stack.web!.url}/auth/login signs in as ${owner.members.get(owner.ownerId)!.user.username}, owner of ${owner.name} (demo admin)`,
  );

  await summary();
  if (durationMs === undefined) say('running steady traffic until Ctrl-C (or pass --duration SECONDS)…');
  // Steady traffic and continuous ingest until Ctrl-C or the duration ends.
  stack.ingestor.start(1_000);
  let lastSummary = Date.now();
  while (!stopping && (durationMs === undefined || Date.now() - started < durationMs)) {
    await sim.sendTraffic({ messages: Math.max(1, Math.floor(rate / 10)), ratePerSec: rate });
    if (Date.now() - lastSummary >= 15_000) {
      lastSummary = Date.now();
      await summary();
    }
    await sleep(1_000);
  }
  if (!stopping) {
    await stack.ingestor.stop();
    await stack.ingestUntilMatch(60_000);
    await summary();
    await finish(0);
  }
} catch (err) {
  console.error('\ndemo failed:', err instanceof Error ? err.message : err);
  await finish(1);
}

/**
 * One reply of every command kind in one guild, as an administrator, each PNG (or CSV) written to the
 * output folder. Each invocation comes from a different member: commands have per-member cooldowns.
 */
async function everyCommand(guildId: string): Promise<void> {
  const ADMINISTRATOR = String(1n << 3n);
  const members = sim.world.humanMembers(guildId);
  const channelId = sim.world.textChannels(guildId)[0]!.id;
  const categoryId = sim.world.textChannels(guildId).find((c) => c.parentId !== null)?.parentId ?? undefined;
  const someone = members[1]!.user.id;
  const week = { name: 'period', type: 3, value: '7d' } as const;
  const asks: {
    file: string;
    name: string;
    subcommand?: string;
    options?: { name: string; type: number; value: string | number | boolean }[];
  }[] = [
    {
      file: 'stats-channel',
      name: 'stats',
      subcommand: 'channel',
      options: [{ name: 'channel', type: 7, value: channelId }],
    },
    {
      file: 'stats-member',
      name: 'stats',
      subcommand: 'member',
      options: [{ name: 'member', type: 6, value: someone }, week],
    },
    { file: 'me', name: 'me', options: [week] },
    { file: 'top-messages', name: 'top', subcommand: 'messages', options: [week] },
    { file: 'top-voice', name: 'top', subcommand: 'voice', options: [week] },
    { file: 'top-emojis', name: 'top', subcommand: 'emojis', options: [week] },
    { file: 'top-apps', name: 'top', subcommand: 'apps', options: [week] },
    { file: 'emojis', name: 'emojis', options: [week] },
    { file: 'voice', name: 'voice', options: [week] },
    { file: 'activity', name: 'activity', options: [week] },
    { file: 'growth', name: 'growth', options: [week] },
    { file: 'invites', name: 'invites', options: [week] },
    { file: 'apps', name: 'apps', options: [week] },
    { file: 'export-messages', name: 'export', options: [{ name: 'table', type: 3, value: 'messages' }] },
    { file: 'retention', name: 'retention', options: [{ name: 'period', type: 3, value: '30d' }] },
    { file: 'inactive', name: 'inactive', options: [{ name: 'days', type: 4, value: 1 }] },
    // Structure, mentions, message details and emoji leaderboards per member, channel and category.
    ...(categoryId
      ? [
          {
            file: 'stats-category',
            name: 'stats',
            subcommand: 'category',
            options: [{ name: 'category', type: 7, value: categoryId }, week],
          },
        ]
      : []),
    { file: 'top-mentions', name: 'top', subcommand: 'mentions', options: [week] },
    {
      file: 'stats-server-replies',
      name: 'stats',
      subcommand: 'server',
      options: [{ name: 'metric', type: 3, value: 'replies' }, week],
    },
    {
      file: 'stats-channel-characters',
      name: 'stats',
      subcommand: 'channel',
      options: [{ name: 'channel', type: 7, value: channelId }, { name: 'metric', type: 3, value: 'characters' }, week],
    },
    { file: 'emojis-member', name: 'emojis', options: [{ name: 'member', type: 6, value: someone }, week] },
    { file: 'emojis-channel', name: 'emojis', options: [{ name: 'channel', type: 7, value: channelId }, week] },
    ...(categoryId
      ? [{ file: 'emojis-category', name: 'emojis', options: [{ name: 'category', type: 7, value: categoryId }, week] }]
      : []),
    { file: 'export-message-details', name: 'export', options: [{ name: 'table', type: 3, value: 'message_details' }] },
  ];
  let written = 0;
  for (const [i, ask] of asks.entries()) {
    const reply = await sim.invokeCommand({
      guildId,
      channelId,
      userId: members[(i + 2) % members.length]!.user.id,
      name: ask.name,
      subcommand: ask.subcommand,
      options: ask.options ?? [],
      permissions: ADMINISTRATOR,
      timeoutMs: 30_000,
    });
    const attachment = reply.files[0];
    const label = `/${[ask.name, ask.subcommand].filter(Boolean).join(' ')}`;
    if (!attachment) {
      const embed = reply.embeds[0] as { description?: string } | undefined;
      say(`  ${label}: ${reply.content || embed?.description || ''}`);
      continue;
    }
    const file = path.join(args.out!, `${ask.file}${path.extname(attachment.name) || '.png'}`);
    await writeFile(file, attachment.data);
    // The embed holds the numbers (totals, averages, changes, leaderboards) beside the chart.
    if (reply.embeds.length)
      await writeFile(path.join(args.out!, `${ask.file}.embed.json`), JSON.stringify(reply.embeds, null, 2));
    written++;
  }
  say(`  every command kind asked in one server: ${written} of ${asks.length} answers written to ${args.out}/`);
}

/**
 * Channel counters and the digest in one guild: the demo admin grants the bot Manage Channels (the
 * simulator's bot role lacks it, as a freshly invited bot's may), adds two counters, and the scheduler
 * running in this process renames the channels; the digest preview's chart is written to the output folder.
 */
async function countersAndDigest(guildId: string): Promise<void> {
  const MANAGE_GUILD = String(1n << 5n);
  const g = sim.world.guild(guildId)!;
  const me = g.members.get(sim.world.botUser.id)!;
  for (const r of g.roles) if (me.roles.includes(r.id)) r.permissions = (BigInt(r.permissions) | (1n << 4n)).toString();
  const members = sim.world.humanMembers(guildId);
  const channelId = sim.world.textChannels(guildId)[0]!.id;
  const voice = sim.world.voiceChannels(guildId)[0]!;
  const category = g.channels.find((c) => c.type === 4)!;
  const ask = (
    k: number,
    name: string,
    subcommand: string,
    options: { name: string; type: number; value: string }[] = [],
  ) =>
    sim.invokeCommand({
      guildId,
      channelId,
      userId: members[k % members.length]!.user.id,
      name,
      subcommand,
      options,
      permissions: MANAGE_GUILD,
      timeoutMs: 30_000,
    });
  const counters: [string, string][] = [
    [voice.id, '👥 Members: {members}'],
    [category.id, '💬 {messages.today} messages today'],
  ];
  for (const [k, [id, template]] of counters.entries()) {
    const r = await ask(k, 'counters', 'add', [
      { name: 'channel', type: 7, value: id },
      { name: 'template', type: 3, value: template },
    ]);
    say(`  /counters add ${template}: ${r.content}`);
  }
  const renamed = (id: string) => sim.truth.channelRenames.filter((x) => x.channelId === id).at(-1)?.name;
  for (const end = Date.now() + 30_000; Date.now() < end && counters.some(([id]) => !renamed(id));) await sleep(250);
  for (const [id, template] of counters)
    say(`  counter ${template} → channel renamed by the scheduler to "${renamed(id) ?? '(not yet)'}"`);
  const list = await ask(2, 'counters', 'list');
  await writeFile(path.join(args.out!, 'counters-list.txt'), `${list.content}\n`);
  const preview = await ask(3, 'digest', 'preview');
  const png = preview.files[0];
  if (png) await writeFile(path.join(args.out!, 'digest-preview.png'), png.data);
  const fields = (preview.embeds[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? [];
  await writeFile(
    path.join(args.out!, 'digest-preview.txt'),
    fields.map((f) => `${f.name}: ${f.value}`).join('\n') + '\n',
  );
  const set = await ask(4, 'digest', 'set', [
    { name: 'channel', type: 7, value: channelId },
    { name: 'every', type: 3, value: 'week' },
  ]);
  say(
    `  /digest preview: ${png ? `chart ${path.join(args.out!, 'digest-preview.png')}` : preview.content}; /digest set: ${set.content}`,
  );
}

/**
 * Activity roles in one guild: the demo admin grants the bot Manage Roles, creates a role below the bot's,
 * adds "at least 3 messages in the last 7 days" for it, writes the dry-run preview, and the scheduler in this
 * process gives the role over REST (the simulator records each change with its audit-log reason).
 */
async function activityRoles(guildId: string): Promise<void> {
  const MANAGE_ROLES = 1n << 28n;
  const g = sim.world.guild(guildId)!;
  const botRole = g.roles.find((r) => r.managed && r.botId === sim.world.botUser.id)!;
  sim.structure.updateRole(guildId, botRole.id, { permissions: String(BigInt(botRole.permissions) | MANAGE_ROLES) });
  const role = sim.structure.createRole(guildId, 'Regulars', 0x2ecc71);
  // The command checks the role against the roles the shard recorded.
  for (const end = Date.now() + 15_000; Date.now() < end; await sleep(250)) {
    const { rows } = await stack.pool.query('SELECT 1 FROM guild_roles WHERE guild_id = $1 AND role_id = $2', [
      guildId,
      role.id,
    ]);
    if (rows.length > 0) break;
  }
  const members = sim.world.humanMembers(guildId);
  const ask = (k: number, subcommand: string, options: { name: string; type: number; value: string | number }[]) =>
    sim.invokeCommand({
      guildId,
      channelId: sim.world.textChannels(guildId)[0]!.id,
      userId: members[(k + 7) % members.length]!.user.id,
      name: 'autoroles',
      subcommand,
      options,
      permissions: String((1n << 5n) | MANAGE_ROLES),
      timeoutMs: 30_000,
    });
  const roleOption = { name: 'role', type: 8, value: role.id };
  const added = await ask(1, 'add', [
    roleOption,
    { name: 'activity', type: 3, value: 'messages' },
    { name: 'rule', type: 3, value: 'threshold' },
    { name: 'amount', type: 4, value: 3 },
    { name: 'days', type: 4, value: 7 },
  ]);
  say(`  /autoroles add @Regulars at least 3 messages in 7 days: ${added.content}`);
  const shown = await ask(2, 'preview', [roleOption]);
  const fields = (shown.embeds[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? [];
  await writeFile(
    path.join(args.out!, 'autoroles-preview.txt'),
    [shown.content, ...fields.map((f) => `${f.name}: ${f.value}`)].filter(Boolean).join('\n') + '\n',
  );
  const given = () => sim.memberRoles.changes.filter((c) => c.roleId === role.id && c.action === 'add');
  for (const end = Date.now() + 30_000; Date.now() < end && given().length === 0;) await sleep(250);
  say(
    `  /autoroles preview written to ${path.join(args.out!, 'autoroles-preview.txt')}; the scheduler gave @Regulars to ${given().length} members` +
      (given()[0] ? ` (audit-log reason "${given()[0]!.reason}")` : ''),
  );
}

/** Ingests until emojis, apps, members and voice agree with the ground truth (or 30 s pass). */
async function familiesAgree(
  t: MixedTraffic,
): Promise<Record<'emojis' | 'apps' | 'members' | 'voice' | 'activities', boolean>> {
  let r = { emojis: false, apps: false, members: false, voice: false, activities: false };
  for (const end = Date.now() + 30_000; Date.now() < end; await sleep(500)) {
    await stack.ingestor.runOnce();
    r = {
      emojis: (await stack.diffEmojis()).length === 0,
      apps: (await stack.diffApps()).length === 0,
      members: (await stack.diffMembers()).length === 0,
      voice: (await stack.diffVoice(t.voice, 1)).length === 0,
      activities: (await stack.diffActivities(t.presence, 1)).length === 0,
    };
    if (Object.values(r).every(Boolean)) break;
  }
  return r;
}

async function summary(): Promise<void> {
  const truth = [...sim.truth.messageTotals().values()].reduce((a, t) => a + t.messages, 0);
  const raw = await rawMessageSummary(stack.pool);
  const diff = await stack.diff();
  say(
    `summary: messages sent ${sim.truth.sentCount} (counted, humans only: ${truth}); rows in messages_raw ${raw.rows}; ` +
      `messages in database ${raw.messages}; replies ${sim.replies.length}; ` +
      (diff.length === 0
        ? 'database == ground truth ✓'
        : `database differs in ${diff.length} keys (ingest catching up)`),
  );
}

// `npm run sim`: a standalone local Discord for manual runs and for pointing a bot process at.
import { parseArgs } from 'node:util';
import { startSimulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    guilds: { type: 'string', default: '20' },
    shards: { type: 'string', default: '1' },
    token: { type: 'string' },
    seed: { type: 'string', default: '1' },
    messages: { type: 'string', default: '0' },
    rate: { type: 'string' },
    heartbeat: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
  },
});

const num = (s: string | undefined, name: string): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${s}`);
  return n;
};

const sim = await startSimulator({
  port: num(values.port, 'port'),
  guilds: num(values.guilds, 'guilds'),
  shards: num(values.shards, 'shards'),
  seed: num(values.seed, 'seed'),
  token: values.token,
  heartbeatIntervalMs: num(values.heartbeat, 'heartbeat'),
  logLevel: values['log-level'],
});

console.log(
  `Discord simulator: ${sim.world.guilds.size} guilds, ${sim.world.guilds.size ? [...sim.world.guilds.values()].reduce((n, g) => n + g.members.size, 0) : 0} memberships`,
);
console.log(`  REST     ${sim.apiUrl}        (discord.js: new Client({ rest: { api: '${sim.apiUrl}' } }))`);
console.log(`  gateway  ${sim.gatewayUrl}`);
console.log(`  token    ${sim.token}`);
console.log(`  e.g.     DISCORD_TOKEN='${sim.token}' DISCORD_API_URL='${sim.apiUrl}' npm run start:cluster`);
console.log('Ctrl-C to stop.');

const messages = num(values.messages, 'messages') ?? 0;
if (messages > 0) {
  void (async () => {
    await sim.waitForShards(1, 24 * 3600 * 1000);
    console.log(`shard connected; sending ${messages} messages`);
    const s = await sim.sendTraffic({
      messages,
      ratePerSec: num(values.rate, 'rate'),
      onProgress: (n) => n % 10_000 < 500 && console.log(`  sent ${n}`),
    });
    console.log(
      `traffic done: ${s.sent} messages (${s.humans} human, ${s.bots} bot, ${s.webhooks} webhook) in ${s.durationMs} ms`,
    );
  })().catch((err: unknown) => console.error('traffic failed', err));
}

const stop = async () => {
  console.log('stopping');
  await sim.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

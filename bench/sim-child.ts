// A simulator in its own process, so a benchmark's client does not share a thread with the traffic
// generator. Prints one JSON line {apiUrl, token} when ready; then answers stdin lines:
//   send N          sends N messages as fast as the sockets drain, answers `sent N`
//   flood N         starts sending N messages in the background, answers `flooding` at once and
//                   `flooded N MS` when done
//   invoke USER_INDEX   /stats server as the USER_INDEX-th human member (cycling over every guild),
//                   answers `invoked MS OK` (interaction sent → final reply received)
//   endpoint URL|none   sets the Interactions Endpoint URL (validated as Discord does; none: back to the
//                   gateway), answers `endpoint OK` or `endpoint FAIL reason`
//   deliveries FROM answers `deliveries N FAILED P50 P99`: HTTP deliveries from the FROM-th on, how many got no
//                   valid answer within the 3 s window, and the percentiles of POST → response (ms)
import readline from 'node:readline';
import { startSimulator } from 'discord-sim';

const guilds = Number(process.argv[2] ?? 50);
const shards = Number(process.argv[3] ?? 2);
const sim = await startSimulator({ guilds, shards, logLevel: 'error' });
process.stdout.write(JSON.stringify({ apiUrl: sim.apiUrl, token: sim.token, publicKey: sim.publicKey }) + '\n');

const invokers = [...sim.world.guilds.keys()].flatMap((guildId) =>
  sim.world
    .humanMembers(guildId)
    .map((m) => ({ guildId, channelId: sim.world.textChannels(guildId)[0]!.id, userId: m.user.id })),
);
let seed = 1;
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [verb, arg] = line.trim().split(/\s+/);
  if (verb === 'send') {
    await sim.waitForShards(shards, 60_000);
    const s = await sim.sendTraffic({ messages: Number(arg), seed: seed++ });
    process.stdout.write(`sent ${s.sent}\n`);
  } else if (verb === 'flood') {
    process.stdout.write('flooding now\n');
    void sim
      .sendTraffic({ messages: Number(arg), seed: seed++ })
      .then((s) => process.stdout.write(`flooded ${s.sent} ${s.durationMs}\n`));
  } else if (verb === 'invoke') {
    const who = invokers[Number(arg) % invokers.length]!;
    const t0 = performance.now();
    void sim
      // 20 s: an interaction not acknowledged within 3 s never gets a reply; waiting longer only stalls the bench.
      .invokeCommand({ ...who, name: 'stats', subcommand: 'server', timeoutMs: 20_000 })
      .then((r) =>
        process.stdout.write(
          `invoked ${(performance.now() - t0).toFixed(1)} ${r.files.length > 0 ? 'OK' : `NOFILE ${JSON.stringify(r.content)}`}\n`,
        ),
      )
      .catch((err: Error) =>
        process.stdout.write(`invoked ${(performance.now() - t0).toFixed(1)} FAIL ${JSON.stringify(err.message)}\n`),
      );
  } else if (verb === 'endpoint') {
    await sim.setInteractionsEndpoint(arg === 'none' ? null : arg!).then(
      () => process.stdout.write('endpoint OK\n'),
      (err: Error) => process.stdout.write(`endpoint FAIL ${JSON.stringify(err.message)}\n`),
    );
  } else if (verb === 'deliveries') {
    const ds = sim.endpointDeliveries.slice(Number(arg ?? 0));
    const ms = ds.map((d) => d.ms).sort((a, b) => a - b);
    const pct = (p: number) =>
      ms.length ? ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!.toFixed(0) : 'NaN';
    process.stdout.write(`deliveries ${ds.length} ${ds.filter((d) => d.error).length} ${pct(50)} ${pct(99)}\n`);
  } else if (verb === 'quit') break;
}
await sim.close();
process.exit(0);

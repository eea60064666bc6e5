// A simulator in its own process, so a benchmark's client does not share a thread with the traffic
// generator. Prints one JSON line {apiUrl, token} when ready; then each stdin line `send N` sends N
// messages as fast as the sockets drain and answers `sent N`.
import readline from 'node:readline';
import { startSimulator } from '../src/sim/index.js';

const guilds = Number(process.argv[2] ?? 50);
const shards = Number(process.argv[3] ?? 2);
const sim = await startSimulator({ guilds, shards, logLevel: 'error' });
process.stdout.write(JSON.stringify({ apiUrl: sim.apiUrl, token: sim.token }) + '\n');

let seed = 1;
for await (const line of readline.createInterface({ input: process.stdin })) {
  const m = /^send (\d+)$/.exec(line.trim());
  if (m) {
    await sim.waitForShards(shards, 60_000);
    const s = await sim.sendTraffic({ messages: Number(m[1]), seed: seed++ });
    process.stdout.write(`sent ${s.sent}\n`);
  } else if (line.trim() === 'quit') break;
}
await sim.close();
process.exit(0);

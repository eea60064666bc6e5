// `npm run bench [-- suite...]`: every figure is printed beside a baseline measured in the same run, as a
// ratio; nothing here is asserted and nothing here runs under `npm test`.
const SUITES: Record<string, () => Promise<void>> = {
  ingest: async () => (await import('./ingest.js')).benchIngest(),
  render: async () => (await import('./render.js')).benchRender(),
  collectors: async () => (await import('./collectors.js')).benchCollectors(),
  commands: async () => (await import('./commands.js')).benchCommands(),
  rollups: async () => (await import('./rollups.js')).benchRollups(),
  queries: async () => (await import('./queries.js')).benchQueries(),
  web: async () => (await import('./web.js')).benchWeb(),
  backfill: async () => (await import('./backfill.js')).benchBackfill(),
  // `--big-guild`: one shard process with one 100,000-member guild, member tracking on vs off (big-guild.ts).
  scale: async () =>
    process.argv.includes('--big-guild')
      ? (await import('./big-guild.js')).benchBigGuild()
      : (await import('./scale.js')).benchScale(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in SUITES));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}
// `scale` runs for minutes with a dozen processes: only when named.
for (const name of wanted.length > 0 ? wanted : Object.keys(SUITES).filter((n) => n !== 'scale')) {
  console.log(`\n== ${name} ==`);
  await SUITES[name]!();
}
process.exit(0);

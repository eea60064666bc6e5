// `npm run quarantine -- <command>`: inspect and replay batches the ingest worker quarantined
// (src/ingest/quarantine.ts). Reads REDIS_URL (or REDIS_CLUSTER_NODES), REDIS_KEY_PREFIX and REDIS_PARTITIONS like the workers.
//   list                 every quarantined batch: id, family, partition, attempts, error, when
//   show <batch-id>      its record and the first fields (counters) or entries (member events), escaped
//   replay <batch-id>    moves it back to the ingest queue: the next cycle loads it (exactly once: ledger)
//   replay --all         every quarantined batch
//   drop <batch-id>      deletes it and its record (its counts are lost: a deliberate decision)
// Output is JSON lines on stdout, so it can be piped into jq; the exit code is 1 on a usage error or an
// unknown batch id.
import { ConfigError, loadConfig, redisTarget } from '../config.js';
import { Keys } from '../keys.js';
import { connectRedis } from '../redis.js';
import { Quarantine } from './quarantine.js';

const USAGE = 'usage: npm run quarantine -- list | show <batch-id> | replay <batch-id>|--all | drop <batch-id>';

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function run(args: string[]): Promise<number> {
  const [command, target] = args;
  if (!command || !['list', 'show', 'replay', 'drop'].includes(command) || (command !== 'list' && !target)) {
    console.error(USAGE);
    return 1;
  }
  const cfg = loadConfig();
  const redis = connectRedis(redisTarget(cfg, 'to reach the quarantined batches'));
  try {
    const q = new Quarantine({
      redis,
      keys: new Keys(cfg.redisKeyPrefix),
      partitions: cfg.redisPartitions,
      maxAttempts: cfg.ingestMaxAttempts,
    });
    if (command === 'list') {
      const all = await q.list();
      for (const r of all) print(r);
      console.error(`${all.length} quarantined batch(es)`);
      return 0;
    }
    if (command === 'replay' && target === '--all') {
      const all = await q.list();
      for (const r of all) print({ replayed: (await q.replay(r.batchId))?.batchId });
      console.error(`${all.length} batch(es) back in the ingest queue`);
      return 0;
    }
    const record = await q.find(target!);
    if (!record) {
      console.error(`no quarantined batch ${JSON.stringify(target)}`);
      return 1;
    }
    if (command === 'show') {
      print({ ...record, ...(await q.content(record)) });
    } else if (command === 'replay') {
      await q.replay(record.batchId);
      print({ replayed: record.batchId, family: record.family, partition: record.partition });
      console.error('back in the ingest queue: the next ingest cycle loads it (quarantined again if it still fails)');
    } else {
      await q.drop(record.batchId);
      print({ dropped: record.batchId, family: record.family, partition: record.partition });
    }
    return 0;
  } finally {
    await redis.quit().catch(() => {});
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
}

// `npm run migrate`: applies pending migrations to DATABASE_URL and exits.
import { ConfigError, loadConfig, required } from '../config.js';
import { createLogger } from '../logger.js';
import { migrate } from './migrate.js';

try {
  const cfg = loadConfig();
  const url = required(
    cfg.databaseUrl,
    'DATABASE_URL',
    'to run migrations (e.g. postgres://user:pass@host:5432/stats)',
  );
  const logger = createLogger(cfg.logLevel, { service: 'migrate' });
  try {
    const applied = await migrate(url, logger);
    logger.info({ applied }, applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database is up to date');
  } catch (err) {
    logger.fatal({ err }, 'migration failed');
    process.exitCode = 1;
  }
} catch (err) {
  // A missing or bad setting is the operator's to fix: say it plainly rather than as a stack trace.
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
}

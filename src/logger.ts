// pino is the only logger. Secrets are redacted by path, so a config object or a request's headers can
// be logged without leaking the bot token or a database password.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'discordToken',
  '*.discordToken',
  'DISCORD_TOKEN',
  'headers.authorization',
  '*.headers.authorization',
  'databaseUrl',
  '*.databaseUrl',
  'redisUrl',
  '*.redisUrl',
];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Development only: pino-pretty is a dev dependency, loaded (in pino's transport worker) only when asked.
    ...(/^(1|true)$/i.test(process.env.LOG_PRETTY ?? '') ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}

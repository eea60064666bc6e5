// pino is the only logger. Secrets stay out of the logs in three ways:
//  - by path: a config object or a request's headers can be logged without the bot token or a password;
//  - by meaning: errors are serialised by what they say, never by what they carry. A Discord REST error
//    becomes its route (tokens cut out), status, Discord code and message; its request URL (which holds an
//    interaction's or webhook's token), request body and files (a chart's PNG, an /export CSV) are dropped;
//  - as a last line of defence, every line is scrubbed of anything shaped like a bot token, an interaction
//    token or a password in a URL before it is written, and each scrubbed line is counted
//    (stats_log_lines_scrubbed_total): a count above zero means some code path logs a secret.
// LOG_CAPTURE_DIR (tests) additionally appends every line, as it was before scrubbing, to
// <dir>/<pid>.log, so the test suite can prove the first two ways hold on their own.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { logLinesScrubbed } from './metrics.js';

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
  'redisClusterNodes',
  '*.redisClusterNodes',
  'requestBody',
  '*.requestBody',
  'discordClientSecret',
  '*.discordClientSecret',
  'headers.cookie',
  '*.headers.cookie',
];

/** Discord's interaction (and interaction webhook) tokens all start with base64("interaction:"). */
const INTERACTION_TOKEN = /aW50ZXJhY3Rpb246[A-Za-z0-9._:-]*/g;
/** Bot tokens: base64(user id) . timestamp . HMAC. */
const BOT_TOKEN = /[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}/g;
/** user:password@ in a connection URL. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s"@]*:)[^@/?#\s"]+@/gi;

/** A line with every secret-shaped substring replaced. */
export function scrubSecrets(line: string): string {
  return line
    .replace(INTERACTION_TOKEN, '[interaction token]')
    .replace(BOT_TOKEN, '[token]')
    .replace(URL_PASSWORD, '$1[redacted]@');
}

/**
 * The path of a Discord REST URL with every token cut out: /webhooks/{app}/{token}/... and
 * /interactions/{id}/{token}/callback keep their ids, lose the token; the query string is dropped.
 */
export function discordRoute(url: string): string {
  let p: string;
  try {
    p = new URL(url, 'http://x').pathname;
  } catch {
    return '(unparseable url)';
  }
  const parts = p.split('/').map((seg) => {
    try {
      return decodeURIComponent(seg);
    } catch {
      return seg;
    }
  });
  for (let i = 0; i < parts.length; i++) {
    const prev = parts[i - 2];
    if ((prev === 'webhooks' || prev === 'interactions') && parts[i] !== undefined && i >= 2) parts[i] = ':token';
  }
  return scrubSecrets(parts.join('/'));
}

type Serialized = Record<string, unknown>;

/**
 * What an error says, without what it carries. Discord REST errors (DiscordAPIError, HTTPError,
 * RateLimitError of @discordjs/rest, recognised by shape) keep route, method, status, code and message.
 */
export function serializeError(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const e = err as Error & {
    url?: unknown;
    status?: unknown;
    code?: unknown;
    method?: unknown;
    requestBody?: unknown;
    cause?: unknown;
    timeToReset?: unknown;
    retryAfter?: unknown;
    global?: unknown;
    scope?: unknown;
  };
  if (typeof e.url === 'string' && typeof e.method === 'string') {
    const out: Serialized = {
      type: e.name,
      message: String(e.message ?? '').slice(0, 1000),
      method: e.method,
      route: discordRoute(e.url),
    };
    if (e.status !== undefined) out.status = e.status;
    if (e.code !== undefined) out.code = e.code;
    if (e.retryAfter !== undefined)
      Object.assign(out, { retryAfter: e.retryAfter, timeToReset: e.timeToReset, global: e.global, scope: e.scope });
    return out;
  }
  if (!(err instanceof Error)) return err;
  const out = stdSerializers.errWithCause(err) as Serialized;
  delete out.requestBody;
  delete out.rawError;
  if (typeof out.url === 'string') out.url = discordRoute(out.url);
  if (typeof out.message === 'string' && out.message.length > 2000) out.message = `${out.message.slice(0, 2000)}…`;
  if (e.cause !== undefined) out.cause = serializeError(e.cause);
  return out;
}

let captureFile: string | null | undefined;

/** Appends the line to this process's capture file when LOG_CAPTURE_DIR is set (tests). */
function capture(line: string): void {
  if (captureFile === undefined) {
    const dir = process.env.LOG_CAPTURE_DIR;
    captureFile = dir ? path.join(dir, `${process.pid}.log`) : null;
    if (dir) mkdirSync(dir, { recursive: true });
  }
  if (captureFile === null) return;
  try {
    appendFileSync(captureFile, line);
  } catch {
    // Capturing is a test aid; never let it break logging.
  }
}

export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  bindings: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { pid: process.pid, ...bindings },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      streamWrite(line) {
        capture(line);
        const clean = scrubSecrets(line);
        if (clean !== line) logLinesScrubbed.inc();
        return clean;
      },
    },
    // Development only: pino-pretty is a dev dependency, loaded (in pino's transport worker) only when asked.
    ...(!destination && /^(1|true)$/i.test(process.env.LOG_PRETTY ?? '')
      ? { transport: { target: 'pino-pretty', options: { colorize: true } } }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

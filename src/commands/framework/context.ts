import type { Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import type { RenderPool } from '../../render/pool.js';
import type { OptOutStore } from '../../privacy.js';
import type { GuildSettingsStore } from '../../settings.js';

/** What a command handler may use. */
export interface CommandContext {
  pool: Pool;
  render: RenderPool;
  logger: Logger;
  /** Per-guild settings (time zone, include bots): read `settings.get(guildId)`. */
  settings: GuildSettingsStore;
  /** Members' opt-outs (/privacy); collectors skip opted-out members. */
  privacy: OptOutStore;
}

/** An error whose message is meant for the user (bad option, nothing recorded yet). */
export class CommandError extends Error {
  override name = 'CommandError';
}

/**
 * A user-typed value echoed in a reply: quoted, control characters blanked, at most 50 characters. Error
 * replies must stay far below Discord's 2,000-character limit, or the error itself is rejected.
 */
export function quoted(value: unknown): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is blanked
  const text = [...String(value).replace(/[\u0000-\u001f\u007f`]/g, ' ')];
  return `"${text.length > 50 ? `${text.slice(0, 49).join('')}…` : text.join('')}"`;
}

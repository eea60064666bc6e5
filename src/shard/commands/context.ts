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

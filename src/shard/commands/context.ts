import type { Pool } from '../../db/pool.js';
import type { Logger } from '../../logger.js';
import type { RenderPool } from '../../render/pool.js';

/** What a command handler may use. */
export interface CommandContext {
  pool: Pool;
  render: RenderPool;
  logger: Logger;
  timeZone: string;
}

/** An error whose message is meant for the user (bad option, nothing recorded yet). */
export class CommandError extends Error {
  override name = 'CommandError';
}

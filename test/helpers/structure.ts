// What the shards recorded of a guild's structure (sql/030), read by tests that wait for a change they made
// in the simulator to reach the database before asking about it.
import { expect } from 'vitest';
import type { Queryable } from '../../src/db/pool.js';
import type { TestBot } from './bot.js';

/** How many members the database says hold the role now. */
export async function recordedHolders(db: Queryable, guildId: string, roleId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM member_roles WHERE guild_id = $1 AND role_id = $2',
    [guildId, roleId],
  );
  return Number(rows[0]!.n);
}

/** Whether the database says `userId` holds the role now (1 or 0). */
export async function recordedHolding(db: Queryable, guildId: string, roleId: string, userId: string): Promise<number> {
  const { rows } = await db.query('SELECT 1 FROM member_roles WHERE guild_id = $1 AND role_id = $2 AND user_id = $3', [
    guildId,
    roleId,
    userId,
  ]);
  return rows.length;
}

/** A role created and deleted in the simulator, once the database records it as deleted (call inside a test). */
export async function deletedRole(t: TestBot, guildId: string, name: string): Promise<string> {
  const role = t.sim.structure.createRole(guildId, name);
  t.sim.structure.deleteRole(guildId, role.id);
  await expect
    .poll(
      async () =>
        (
          await t.pool.query(
            'SELECT 1 FROM guild_roles WHERE guild_id = $1 AND role_id = $2 AND deleted_at IS NOT NULL',
            [guildId, role.id],
          )
        ).rows.length,
      { timeout: 10_000, interval: 200 },
    )
    .toBe(1);
  return role.id;
}

// Mentions (FAMILIES.mentions): who mentions a member most and whom they mention most, and the totals of
// each kind. Read from the same zone-exact rollups as every family query (scope.ts).
import type { Queryable } from '../db/pool.js';
import type { Ranked } from './families.js';
import type { Range } from './queries.js';
import { scope, type Filter } from './scope.js';

export interface MentionTotals {
  member: number;
  role: number;
  everyone: number;
}

/** Mentions of each kind over the range (under the filter: user_id is the one who mentions). */
export async function mentionTotals(db: Queryable, r: Range, f?: Filter): Promise<MentionTotals> {
  const w = scope('mentions', r, 'hour', f);
  const { rows } = await db.query<{ kind: string; n: string }>(
    `SELECT kind, sum(mentions) AS n FROM ${w.source} WHERE ${w.sql} GROUP BY kind ORDER BY kind`,
    w.params,
  );
  const out: MentionTotals = { member: 0, role: 0, everyone: 0 };
  for (const row of rows)
    if (row.kind === 'member' || row.kind === 'role' || row.kind === 'everyone') out[row.kind] = Number(row.n);
  return out;
}

/** Members who mention `userId` most (`by`) and members `userId` mentions most (`of`), ties by id. */
export async function mentionPartners(
  db: Queryable,
  r: Range,
  userId: string,
  limit = 3,
): Promise<{ by: Ranked[]; of: Ranked[] }> {
  const ranked = async (key: 'user_id' | 'target_id', other: 'user_id' | 'target_id') => {
    const w = scope('mentions', r, 'hour');
    w.params.push(userId, limit);
    const { rows } = await db.query<{ key: string; value: string }>(
      `SELECT ${key}::text AS key, sum(mentions) AS value FROM ${w.source}
        WHERE ${w.sql} AND kind = 'member' AND ${other} = $${w.params.length - 1}::bigint AND ${key} <> ${other}
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $${w.params.length}`,
      w.params,
    );
    return rows.map((row) => ({ key: row.key, value: Number(row.value) }));
  };
  const [by, of] = await Promise.all([ranked('user_id', 'target_id'), ranked('target_id', 'user_id')]);
  return { by, of };
}

// Activity-role rules (sql/050_autoroles.sql): one per role, written by /autoroles, read by the scheduler's
// autoroles job. Not statistics: plain configuration rows.
import type { Queryable } from '../db/pool.js';

export interface AutoroleRule {
  guildId: string;
  roleId: string;
  family: 'messages' | 'voice';
  kind: 'threshold' | 'top';
  /** threshold: messages, or minutes in voice; top: how many members. */
  amount: number;
  windowDays: number;
  pendingChanges: number;
  evaluatedAt: Date | null;
}

/** The scheduler job that evaluates the rules (src/scheduler/jobs/autoroles.ts). */
export const AUTOROLES_JOB = 'autoroles';

/** Most members a rule may give its role to: a rule past it is refused, so no run changes 100,000 members. */
export const MAX_HOLDERS = 10_000;
/** Rules per server. */
export const MAX_RULES = 25;

type Row = {
  guild_id: string;
  role_id: string;
  family: AutoroleRule['family'];
  kind: AutoroleRule['kind'];
  amount: number;
  window_days: number;
  pending_changes: number;
  evaluated_at: Date | null;
};
const COLS =
  'guild_id::text AS guild_id, role_id::text AS role_id, family, kind, amount, window_days, pending_changes, evaluated_at';
const toRule = (r: Row): AutoroleRule => ({
  guildId: r.guild_id,
  roleId: r.role_id,
  family: r.family,
  kind: r.kind,
  amount: Number(r.amount),
  windowDays: Number(r.window_days),
  pendingChanges: Number(r.pending_changes),
  evaluatedAt: r.evaluated_at,
});

/** A sentence for the rule: "≥ 100 messages in the last 30 days", "top 10 by voice time in the last 7 days". */
export function describeRule(r: Pick<AutoroleRule, 'family' | 'kind' | 'amount' | 'windowDays'>): string {
  const window = r.windowDays === 1 ? 'today' : `in the last ${r.windowDays} days`;
  if (r.kind === 'top') return `top ${r.amount} by ${r.family === 'voice' ? 'voice time' : 'messages'} ${window}`;
  return r.family === 'voice' ? `≥ ${r.amount} minutes in voice ${window}` : `≥ ${r.amount} messages ${window}`;
}

export async function listRules(db: Queryable, guildId: string): Promise<AutoroleRule[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLS} FROM autorole_rules WHERE guild_id = $1::bigint ORDER BY created_at, role_id`,
    [guildId],
  );
  return rows.map(toRule);
}

/** Adds the rule unless its role already has one or the server has MAX_RULES; false when refused. */
export async function addRule(
  db: Queryable,
  r: Pick<AutoroleRule, 'guildId' | 'roleId' | 'family' | 'kind' | 'amount' | 'windowDays'>,
): Promise<'added' | 'exists' | 'full'> {
  // One statement: the count and the insert see the same snapshot, and the primary key settles a race.
  const { rows } = await db.query<{ outcome: string }>(
    `WITH n AS (SELECT count(*) AS n FROM autorole_rules WHERE guild_id = $1::bigint),
          ins AS (INSERT INTO autorole_rules (guild_id, role_id, family, kind, amount, window_days)
                  SELECT $1::bigint, $2::bigint, $3, $4, $5, $6 FROM n WHERE n.n < $7
                  ON CONFLICT (guild_id, role_id) DO NOTHING RETURNING 1)
     SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'added'
                 WHEN EXISTS (SELECT 1 FROM autorole_rules WHERE guild_id = $1::bigint AND role_id = $2::bigint) THEN 'exists'
                 ELSE 'full' END AS outcome`,
    [r.guildId, r.roleId, r.family, r.kind, r.amount, r.windowDays, MAX_RULES],
  );
  return rows[0]!.outcome as 'added' | 'exists' | 'full';
}

export async function removeRule(db: Queryable, guildId: string, roleId: string): Promise<boolean> {
  const { rows } = await db.query(
    'DELETE FROM autorole_rules WHERE guild_id = $1::bigint AND role_id = $2::bigint RETURNING 1',
    [guildId, roleId],
  );
  return rows.length > 0;
}

export async function guildsWithRules(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT DISTINCT guild_id::text AS id FROM autorole_rules ORDER BY 1',
  );
  return rows.map((r) => r.id);
}

/** After a run: how many changes it left for the next one. */
export async function markEvaluated(
  db: Queryable,
  guildId: string,
  roleId: string,
  pending: number,
  at: Date,
): Promise<void> {
  await db.query(
    'UPDATE autorole_rules SET pending_changes = $3, evaluated_at = $4 WHERE guild_id = $1::bigint AND role_id = $2::bigint',
    [guildId, roleId, pending, at],
  );
}

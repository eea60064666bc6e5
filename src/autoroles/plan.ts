// What a rule changes: who qualifies now (src/stats/autoroles.ts) against who holds the role now
// (member_roles, src/stats/structure.ts). Only the difference is sent to Discord, so a run over a server of
// 50,000 members costs as many requests as members who gained or lost the role, not 50,000.
import type { Queryable } from '../db/pool.js';
import { activityQualifiers, type Qualifiers } from '../stats/autoroles.js';
import { roleHolderIds } from '../stats/structure.js';
import { MAX_HOLDERS, type AutoroleRule } from './rules.js';

export interface RolePlan {
  qualifiers: Qualifiers;
  holders: number;
  add: string[];
  remove: string[];
  /** More members qualify than MAX_HOLDERS: nothing is changed for this rule. */
  tooMany: boolean;
}

export async function planRule(
  db: Queryable,
  rule: Pick<AutoroleRule, 'guildId' | 'roleId' | 'family' | 'kind' | 'amount' | 'windowDays'>,
  timeZone: string,
  now = new Date(),
): Promise<RolePlan> {
  const [qualifiers, holders] = await Promise.all([
    activityQualifiers(db, { ...rule, timeZone, limit: MAX_HOLDERS, now }),
    roleHolderIds(db, rule.guildId, rule.roleId),
  ]);
  const tooMany = rule.kind === 'threshold' && qualifiers.total > MAX_HOLDERS;
  const target = new Set(qualifiers.members.map((m) => m.userId));
  const held = new Set(holders);
  return {
    qualifiers,
    holders: holders.length,
    add: tooMany ? [] : qualifiers.members.map((m) => m.userId).filter((id) => !held.has(id)),
    remove: tooMany ? [] : holders.filter((id) => !target.has(id)),
    tooMany,
  };
}

// The "autoroles" job: per guild with activity-role rules (src/autoroles), evaluates each rule in the
// guild's zone, checks the role is still the bot's to give (roles and the bot's member fetched over REST,
// as Discord sees them now), and sends only the difference from the current holders, capped per run and
// paced per second (src/autoroles/apply.ts). A run that hits the cap records what it left and the next
// run comes a minute later instead of at the regular interval, until the rule has caught up.
import { Routes, type APIGuildMember, type APIRole } from 'discord.js';
import { applyChanges } from '../../autoroles/apply.js';
import { assignProblem } from '../../autoroles/hierarchy.js';
import { planRule } from '../../autoroles/plan.js';
import { AUTOROLES_JOB, describeRule, guildsWithRules, listRules, markEvaluated } from '../../autoroles/rules.js';
import type { ScheduledJob } from '../job.js';

export interface AutorolesJobOptions {
  /** Between evaluations of a guild's rules when nothing is pending. Default one hour. */
  intervalMs?: number;
  /** When the last run left changes. Default one minute. */
  catchUpMs?: number;
  /** Role changes per guild per run. Default 300. */
  maxChangesPerRun?: number;
  /** Role changes begun per second per guild. Default 5. */
  perSecond?: number;
}

export function createAutorolesJob(o: AutorolesJobOptions = {}): ScheduledJob {
  const intervalMs = o.intervalMs ?? 3_600_000;
  const catchUpMs = o.catchUpMs ?? 60_000;
  return {
    name: AUTOROLES_JOB,
    guilds: (pool) => guildsWithRules(pool),
    async nextRun(guildId, last, now, pool) {
      if (!last) return now;
      const pending = (await listRules(pool, guildId)).some((r) => r.pendingChanges > 0);
      return new Date(last.getTime() + (pending ? catchUpMs : intervalMs));
    },
    async run(ctx) {
      const rules = await listRules(ctx.pool, ctx.guildId);
      if (rules.length === 0) return;
      const { rows } = await ctx.pool.query<{ time_zone: string }>(
        'SELECT time_zone FROM guild_settings WHERE guild_id = $1::bigint',
        [ctx.guildId],
      );
      const timeZone = rows[0]?.time_zone ?? 'UTC';
      const [roles, me] = (await Promise.all([
        ctx.rest.get(Routes.guildRoles(ctx.guildId)),
        ctx.rest.get(Routes.guildMember(ctx.guildId, '@me')),
      ])) as [APIRole[], APIGuildMember];
      const facts = roles.map((r) => ({
        id: r.id,
        name: r.name,
        position: r.position,
        managed: r.managed,
        permissions: r.permissions,
      }));
      let budget = o.maxChangesPerRun ?? 300;
      for (const rule of rules) {
        if (ctx.signal.aborted) return;
        const log = ctx.logger.child({ guild: ctx.guildId, role: rule.roleId });
        const problem = assignProblem({
          guildId: ctx.guildId,
          roleId: rule.roleId,
          roles: facts,
          botRoleIds: me.roles,
        });
        if (problem) {
          log.warn({ problem }, 'activity role skipped: the bot cannot give it');
          await markEvaluated(ctx.pool, ctx.guildId, rule.roleId, 0, ctx.now());
          continue;
        }
        const plan = await planRule(ctx.pool, rule, timeZone, ctx.now());
        if (plan.tooMany) {
          log.warn(
            { qualify: plan.qualifiers.total },
            'activity role skipped: more members qualify than a rule may give it to',
          );
          await markEvaluated(ctx.pool, ctx.guildId, rule.roleId, 0, ctx.now());
          continue;
        }
        const res = await applyChanges(ctx.rest, {
          guildId: ctx.guildId,
          roleId: rule.roleId,
          add: plan.add,
          remove: plan.remove,
          reason: `Activity role: ${describeRule(rule)}`,
          maxChanges: budget,
          perSecond: o.perSecond ?? 5,
          signal: ctx.signal,
          logger: log,
        });
        budget -= res.added + res.removed + res.gone;
        await markEvaluated(ctx.pool, ctx.guildId, rule.roleId, res.left, ctx.now());
        log.info({ added: res.added, removed: res.removed, gone: res.gone, left: res.left }, 'activity role evaluated');
      }
    },
  };
}

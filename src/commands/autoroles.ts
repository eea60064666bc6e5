// /autoroles add|remove|list|preview: roles given by activity ("≥ 100 messages in the last 30 days",
// "top 10 by voice time in the last 7 days"), evaluated by the scheduler's autoroles job. Needs Manage
// Server and Manage Roles. Every refusal (a role the bot cannot give, a rule that would reach more than
// MAX_HOLDERS members, a duplicate) is checked before anything is written, so nothing half-made remains.
import {
  InteractionContextType,
  PermissionFlagsBits,
  Routes,
  SlashCommandBuilder,
  type APIGuildMember,
  type APIRole,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { assignProblem } from '../autoroles/hierarchy.js';
import { planRule, type RolePlan } from '../autoroles/plan.js';
import {
  addRule,
  AUTOROLES_JOB,
  describeRule,
  listRules,
  MAX_HOLDERS,
  MAX_RULES,
  removeRule,
  type AutoroleRule,
} from '../autoroles/rules.js';
import { memberDisplayNames } from '../stats/structure.js';
import { requestRun } from '../scheduled-runs.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { formatNumber } from '../format.js';
import { countOf, listField, reportEmbed } from './framework/report.js';

type Chat = ChatInputCommandInteraction<'cached'>;
export const MAX_TOP = 1_000;
export const MAX_THRESHOLD = 1_000_000;

function requireManagers(i: Chat): void {
  if (
    !i.memberPermissions.has(PermissionFlagsBits.ManageGuild) ||
    !i.memberPermissions.has(PermissionFlagsBits.ManageRoles)
  ) {
    throw new CommandError(
      'Only members with the Manage Server and Manage Roles permissions can change activity roles.',
    );
  }
}

/** The role option, checked against the server's roles as Discord has them now. */
async function assignableRole(i: Chat): Promise<APIRole> {
  const roleId = i.options.get('role', true).value as string;
  const [roles, me] = (await Promise.all([
    i.client.rest.get(Routes.guildRoles(i.guildId)),
    i.client.rest.get(Routes.guildMember(i.guildId, '@me')),
  ])) as [APIRole[], APIGuildMember];
  const problem = assignProblem({
    guildId: i.guildId,
    roleId,
    roles: roles.map((r) => ({
      id: r.id,
      name: r.name,
      position: r.position,
      managed: r.managed,
      permissions: r.permissions,
    })),
    botRoleIds: me.roles,
  });
  if (problem) throw new CommandError(problem);
  return roles.find((r) => r.id === roleId)!;
}

function ruleOptions(i: Chat, roleId: string): Omit<AutoroleRule, 'pendingChanges' | 'evaluatedAt'> {
  const family = i.options.getString('activity', true);
  const kind = i.options.getString('rule', true);
  const amount = i.options.getInteger('amount', true);
  const windowDays = i.options.getInteger('days') ?? 30;
  if (family !== 'messages' && family !== 'voice') throw new CommandError('`activity` must be messages or voice.');
  if (kind !== 'threshold' && kind !== 'top') throw new CommandError('`rule` must be "at least" or "top".');
  const max = kind === 'top' ? MAX_TOP : MAX_THRESHOLD;
  if (!Number.isInteger(amount) || amount < 1 || amount > max)
    throw new CommandError(`\`amount\` must be from 1 to ${formatNumber(max)} for this rule.`);
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 365)
    throw new CommandError('`days` must be a whole number of days from 1 to 365.');
  return { guildId: i.guildId, roleId, family, kind, amount, windowDays };
}

function tooMany(role: string, plan: RolePlan): CommandError {
  return new CommandError(
    `This rule would give **${role}** to ${formatNumber(plan.qualifiers.total)} members; an activity role may go to at most ${formatNumber(MAX_HOLDERS)}. ` +
      'Raise the amount, shorten the window or use a top rule. Nothing was saved.',
  );
}

async function changesField(ctx: CommandContext, guildId: string, ids: string[]): Promise<string> {
  // Names for what can fit in a field; listField says how many more there are.
  const names = await memberDisplayNames(ctx.pool, guildId, ids.slice(0, 100));
  return listField(
    ids.map((id) => (names.has(id) ? `${names.get(id)} (<@${id}>)` : `<@${id}>`)),
    'Nobody',
  );
}

async function add(i: Chat, ctx: CommandContext): Promise<void> {
  requireManagers(i);
  const role = await assignableRole(i);
  const rule = ruleOptions(i, role.id);
  const plan = await planRule(ctx.pool, rule, ctx.settings.get(i.guildId).timeZone);
  if (plan.tooMany) throw tooMany(role.name, plan);
  const outcome = await addRule(ctx.pool, rule);
  if (outcome === 'exists')
    throw new CommandError(`**${role.name}** already has an activity rule; remove it first with /autoroles remove.`);
  if (outcome === 'full') throw new CommandError(`This server has ${MAX_RULES} activity rules, the most it may have.`);
  // Evaluated at once, not at the scheduler's next pass over the servers with rules.
  await requestRun(ctx.pool, AUTOROLES_JOB, i.guildId);
  await i.editReply({
    content:
      `**${role.name}**: ${describeRule(rule)}. The next evaluation gives it to ${countOf(plan.add.length, 'member')} and takes it from ${countOf(plan.remove.length, 'member')} ` +
      '(members who do not qualify lose it: the rule owns the role). See them with /autoroles preview.',
  });
}

async function preview(i: Chat, ctx: CommandContext): Promise<void> {
  requireManagers(i);
  const roleId = i.options.get('role', true).value as string;
  const rule = (await listRules(ctx.pool, i.guildId)).find((r) => r.roleId === roleId);
  if (!rule) throw new CommandError('That role has no activity rule. Add one with /autoroles add.');
  const plan = await planRule(ctx.pool, rule, ctx.settings.get(i.guildId).timeZone);
  if (plan.tooMany) throw tooMany(`<@&${roleId}>`, plan);
  const embed = reportEmbed(
    `Activity role preview`,
    `<@&${roleId}>: ${describeRule(rule)}. Nothing is changed by a preview.`,
  ).addFields(
    { name: 'Qualify', value: formatNumber(plan.qualifiers.members.length), inline: true },
    { name: 'Hold it now', value: formatNumber(plan.holders), inline: true },
    { name: `Would gain (${formatNumber(plan.add.length)})`, value: await changesField(ctx, i.guildId, plan.add) },
    {
      name: `Would lose (${formatNumber(plan.remove.length)})`,
      value: await changesField(ctx, i.guildId, plan.remove),
    },
  );
  await i.editReply({ embeds: [embed] });
}

export const autorolesCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('autoroles')
    .setDescription('Roles given by activity (Manage Server and Manage Roles)')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild | PermissionFlagsBits.ManageRoles)
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Give a role by activity')
        .addRoleOption((o) =>
          o
            .setName('role')
            .setDescription('The role (the rule owns it: members who do not qualify lose it)')
            .setRequired(true),
        )
        .addStringOption((o) =>
          o
            .setName('activity')
            .setDescription('What counts')
            .setRequired(true)
            .addChoices({ name: 'messages', value: 'messages' }, { name: 'voice time (minutes)', value: 'voice' }),
        )
        .addStringOption((o) =>
          o
            .setName('rule')
            .setDescription('At least an amount, or the most active')
            .setRequired(true)
            .addChoices({ name: 'at least', value: 'threshold' }, { name: 'top', value: 'top' }),
        )
        .addIntegerOption((o) =>
          o
            .setName('amount')
            .setDescription('Messages or voice minutes (at least), or how many members (top)')
            .setRequired(true)
            .setMinValue(1)
            .setMaxValue(MAX_THRESHOLD),
        )
        .addIntegerOption((o) =>
          o
            .setName('days')
            .setDescription('Window in days, today included, in the server’s zone (default 30)')
            .setMinValue(1)
            .setMaxValue(365),
        ),
    )
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Stop giving a role by activity (holders keep it)')
        .addRoleOption((o) => o.setName('role').setDescription('The role').setRequired(true)),
    )
    .addSubcommand((s) => s.setName('list').setDescription('The activity roles of this server'))
    .addSubcommand((s) =>
      s
        .setName('preview')
        .setDescription('Who would gain and lose a role now (changes nothing)')
        .addRoleOption((o) => o.setName('role').setDescription('The role').setRequired(true)),
    )
    .toJSON(),
  ephemeral: true,
  cooldownMs: 2_000,
  handlers: {
    add,
    preview,
    async remove(i, ctx) {
      requireManagers(i);
      const roleId = i.options.get('role', true).value as string;
      if (!(await removeRule(ctx.pool, i.guildId, roleId))) throw new CommandError('That role has no activity rule.');
      await i.editReply({ content: `<@&${roleId}> is no longer given by activity; members who hold it keep it.` });
    },
    async list(i, ctx) {
      requireManagers(i);
      const rules = await listRules(ctx.pool, i.guildId);
      const lines = rules.map(
        (r) =>
          `<@&${r.roleId}>: ${describeRule(r)}${r.evaluatedAt ? ` · evaluated <t:${Math.floor(r.evaluatedAt.getTime() / 1000)}:R>` : ' · not evaluated yet'}${r.pendingChanges > 0 ? ` · ${countOf(r.pendingChanges, 'change')} pending` : ''}`,
      );
      await i.editReply({
        content: lines.length > 0 ? lines.join('\n') : 'No activity roles yet. Add one with /autoroles add.',
      });
    },
  },
};

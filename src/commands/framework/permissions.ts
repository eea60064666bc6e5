// Discord's developer policy: per-member statistics over time only for members who may see the server's
// insights (Administrator, Manage Server or View Server Insights); everyone may see their own.
import { PermissionFlagsBits, type ChatInputCommandInteraction, type PermissionsBitField } from 'discord.js';
import { CommandError } from './context.js';

export const MEMBER_INSIGHT_PERMISSIONS = [
  PermissionFlagsBits.Administrator,
  PermissionFlagsBits.ManageGuild,
  PermissionFlagsBits.ViewGuildInsights,
];

/** A guild may narrow the policy to these (/settings member-stats), never widen it. */
export const MEMBER_INSIGHT_PERMISSIONS_MANAGERS = [PermissionFlagsBits.Administrator, PermissionFlagsBits.ManageGuild];

/** Administrator counts as every permission (discord.js `any` checks it). */
export function mayViewMemberInsights(perms: Readonly<PermissionsBitField> | null, managersOnly = false): boolean {
  return perms?.any(managersOnly ? MEMBER_INSIGHT_PERMISSIONS_MANAGERS : MEMBER_INSIGHT_PERMISSIONS) ?? false;
}

/** Throws the refusal (sent ephemerally by the router) unless the invoker may see `targetId`'s statistics. */
export function assertMayViewMember(i: ChatInputCommandInteraction, targetId: string, managersOnly = false): void {
  if (targetId === i.user.id || mayViewMemberInsights(i.memberPermissions, managersOnly)) return;
  throw new CommandError(
    managersOnly
      ? "You can see your own statistics (`/me`); this server shows other members' only to Administrator and Manage Server."
      : "You can see your own statistics (`/me`), but another member's only with the Administrator, Manage Server or " +
          "View Server Insights permission: Discord's developer policy keeps per-member activity to those who manage the server.",
  );
}

/** Refuses (ephemerally, through the router) a member without Manage Server, saying why. */
export function requireManageGuild(i: ChatInputCommandInteraction<'cached'>, what: string): void {
  if (!i.memberPermissions.has(PermissionFlagsBits.ManageGuild)) {
    throw new CommandError(`Only members with the Manage Server permission can ${what}.`);
  }
}

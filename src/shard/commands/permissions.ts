// Discord's developer policy: per-member statistics over time only for members who may see the server's
// insights (Administrator, Manage Server or View Server Insights); everyone may see their own.
import { PermissionFlagsBits, type ChatInputCommandInteraction, type PermissionsBitField } from 'discord.js';
import { CommandError } from './context.js';

export const MEMBER_INSIGHT_PERMISSIONS = [PermissionFlagsBits.Administrator, PermissionFlagsBits.ManageGuild, PermissionFlagsBits.ViewGuildInsights];

/** Administrator counts as every permission (discord.js `any` checks it). */
export function mayViewMemberInsights(perms: Readonly<PermissionsBitField> | null): boolean {
  return perms?.any(MEMBER_INSIGHT_PERMISSIONS) ?? false;
}

/** Throws the refusal (sent ephemerally by the router) unless the invoker may see `targetId`'s statistics. */
export function assertMayViewMember(i: ChatInputCommandInteraction, targetId: string): void {
  if (targetId === i.user.id || mayViewMemberInsights(i.memberPermissions)) return;
  throw new CommandError(
    "You can see your own statistics (`/me`), but another member's only with the Administrator, Manage Server or " +
      "View Server Insights permission: Discord's developer policy keeps per-member activity to those who manage the server.",
  );
}

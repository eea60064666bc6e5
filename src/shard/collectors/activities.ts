// Presence activity time (only with the privileged GUILD_PRESENCES intent): PRESENCE_UPDATE and GUILD_CREATE
// presences → timed sessions per guild × user × activity. The activity is its application id when Discord
// gives one (stable across renames and locales), else its sanitised name; custom statuses (type 4) are not
// activities. Raw dispatches: the bot keeps no presence cache (GUILD_CREATE presences would be discarded).
import { Events, type Client } from 'discord.js';
import { isSnowflake, textDim } from '../../families.js';
import { gatewayEvents } from '../../metrics.js';
import type { Tracking } from '../../privacy.js';
import type { Presence, SessionTracker } from '../sessions/tracker.js';

const CUSTOM_STATUS = 4;

export interface RawActivity {
  name?: unknown;
  type?: number;
  application_id?: string;
}

export interface RawPresence {
  user: { id: string; bot?: boolean };
  guild_id?: string;
  status?: string;
  activities?: RawActivity[];
}

/** The activity dimension, or undefined when the activity is not counted. */
export function activityKey(a: RawActivity | null): string | undefined {
  if (!a || a.type === CUSTOM_STATUS) return undefined;
  if (isSnowflake(a.application_id)) return a.application_id;
  return typeof a.name === 'string' ? textDim(a.name) : undefined;
}

/** Sessions a presence shows open: field `guild|user|activity`. */
export function activityPresences(guildId: string, p: RawPresence): Map<string, Presence> {
  const out = new Map<string, Presence>();
  if (p.status === 'offline' || p.user.bot === true || !Array.isArray(p.activities)) return out;
  for (const a of p.activities) {
    const key = activityKey(a);
    if (key) out.set(`${guildId}|${p.user.id}|${key}`, { attrs: '', flags: 1 });
  }
  return out;
}

export function activityDims(field: string): string[] {
  const i = field.indexOf('|');
  const j = field.indexOf('|', i + 1);
  return [field.slice(0, i), field.slice(i + 1, j), field.slice(j + 1)];
}

export function collectActivities(client: Client, tracker: SessionTracker, privacy?: Tracking): void {
  // Opted-out members have no sessions (an update from one closes theirs).
  const presences = (guildId: string, p: RawPresence) =>
    privacy && !privacy.tracked(guildId, p.user.id) ? new Map<string, Presence>() : activityPresences(guildId, p);
  client.on(Events.Raw, (packet: { t?: string; d?: unknown }, shardId: number) => {
    switch (packet.t) {
      case 'GUILD_CREATE': {
        const g = packet.d as { id?: unknown; unavailable?: boolean; presences?: RawPresence[] } | null;
        if (!isSnowflake(g?.id)) return;
        if (g.unavailable) return tracker.forget(g.id);
        const present = new Map<string, Presence>();
        for (const p of g.presences ?? [])
          if (isSnowflake(p?.user?.id)) for (const [field, s] of presences(g.id, p)) present.set(field, s);
        return tracker.reconcile(g.id, present, tracker.now());
      }
      case 'GUILD_DELETE': {
        const id = (packet.d as { id?: unknown } | null)?.id;
        return isSnowflake(id) ? tracker.forget(id) : undefined;
      }
      case 'PRESENCE_UPDATE': {
        const p = packet.d as RawPresence | null;
        if (!p || !isSnowflake(p.guild_id) || !isSnowflake(p.user?.id)) return;
        gatewayEvents.inc({ type: 'PRESENCE_UPDATE', shard: shardId });
        tracker.setGroup(p.guild_id, `${p.guild_id}|${p.user.id}|`, presences(p.guild_id, p), tracker.now());
        return;
      }
    }
  });
}

// Presence scenarios: members start and stop activities (games, apps) and go offline. Each change updates
// the world's presences (so a later GUILD_CREATE carries them), dispatches PRESENCE_UPDATE with the full
// user (discord.js drops presences of users it cannot build), and keeps ground truth: exact milliseconds
// per guild|user|activity from the simulator's send times (on its clock, clock.ts). The activity key is the
// application id when there is one, else the sanitised name; custom statuses (type 4) are not activities.
import { GatewayDispatchEvents } from 'discord-api-types/v10';
import type { GuildEventSink } from './driver.js';
import { presenceJson } from './payloads.js';
import type { SimActivity, SimGuild, SimPresence } from './world.js';

export interface ActivityInput {
  name: string;
  type?: number;
  applicationId?: string;
}

export interface ActivityTotals {
  seconds: number;
  segments: number;
}

interface Segment {
  key: string;
  from: number;
  to: number | undefined;
}

/**
 * What a stats bot should record as the activity: the application id, else the name as free text that can
 * be stored — C0 control characters and DEL (U+0000 included), `|` and backslash become spaces, a lone
 * surrogate becomes U+FFFD, surrounding space is trimmed, at most 100 code points are kept (trimmed
 * again); a name with nothing left is not an activity.
 */
export function activityTruthKey(a: ActivityInput): string | undefined {
  if (a.type === 4) return undefined;
  if (a.applicationId) return a.applicationId;
  const units: string[] = [];
  for (let i = 0; i < a.name.length; i++) {
    const c = a.name.charCodeAt(i);
    if (
      c >= 0xd800 &&
      c <= 0xdbff &&
      i + 1 < a.name.length &&
      a.name.charCodeAt(i + 1) >= 0xdc00 &&
      a.name.charCodeAt(i + 1) <= 0xdfff
    ) {
      units.push(a.name.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) units.push('\uFFFD');
    else if (c < 0x20 || c === 0x7f || c === 0x7c || c === 0x5c) units.push(' ');
    else units.push(a.name[i]!);
  }
  const clean = units.join('').trim();
  return clean === '' ? undefined : Array.from(clean).slice(0, 100).join('').trim();
}

export class PresenceDriver {
  private readonly segments: Segment[] = [];
  /** Open segment per guild|user|activity. */
  private readonly open = new Map<string, Segment>();

  constructor(private readonly sim: GuildEventSink) {}

  /** The member's presence in `guildId` becomes `activities` with `status`; returns the send time. */
  set(guildId: string, userId: string, activities: ActivityInput[], status: SimPresence['status'] = 'online'): number {
    const g: SimGuild | undefined = this.sim.world.guild(guildId);
    if (!g) throw new Error(`unknown guild ${guildId}`);
    const member = g.members.get(userId);
    if (!member) throw new Error(`user ${userId} is not a member of guild ${guildId}`);
    const now = this.sim.clock.now();
    const before = g.presences.get(userId)?.activities ?? [];
    const list: SimActivity[] = activities.map((a) => {
      const same = before.find(
        (b) => b.name === a.name && b.type === (a.type ?? 0) && b.applicationId === a.applicationId,
      );
      return {
        name: a.name,
        type: a.type ?? 0,
        ...(a.applicationId ? { applicationId: a.applicationId } : {}),
        createdAt: same?.createdAt ?? now,
      };
    });
    const presence: SimPresence = { status, activities: status === 'offline' ? [] : list };
    g.presences.set(userId, presence);

    const keys = new Set<string>();
    if (status !== 'offline')
      for (const a of activities) {
        const k = activityTruthKey(a);
        if (k) keys.add(`${guildId}|${userId}|${k}`);
      }
    const prefix = `${guildId}|${userId}|`;
    for (const [k, seg] of this.open) {
      if (k.startsWith(prefix) && !keys.has(k)) {
        seg.to = now;
        this.open.delete(k);
      }
    }
    for (const k of keys) {
      if (this.open.has(k)) continue;
      const seg: Segment = { key: k, from: now, to: undefined };
      this.segments.push(seg);
      this.open.set(k, seg);
    }
    this.sim.dispatchGuildEvent(
      guildId,
      GatewayDispatchEvents.PresenceUpdate,
      presenceJson(userId, presence, guildId, member.user),
    );
    return now;
  }

  offline(guildId: string, userId: string): number {
    return this.set(guildId, userId, [], 'offline');
  }

  /** Exact seconds per `guild|user|activity` up to `at` (default the simulator's clock's now). */
  truth(at = this.sim.clock.now()): Map<string, ActivityTotals> {
    const out = new Map<string, ActivityTotals>();
    for (const s of this.segments) {
      const to = Math.min(s.to ?? at, at);
      if (to <= s.from) continue;
      let t = out.get(s.key);
      if (!t) out.set(s.key, (t = { seconds: 0, segments: 0 }));
      t.seconds += (to - s.from) / 1000;
      t.segments++;
    }
    return out;
  }
}

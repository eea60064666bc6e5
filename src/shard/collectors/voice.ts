// Voice channel time: VOICE_STATE_UPDATE and GUILD_CREATE voice states → timed sessions per guild × user
// (one person in two servers is two sessions), seconds plus muted/deafened/streaming/video seconds.
// Read from the raw dispatches: the receipt time is the event time even while discord.js still queues
// dispatches before ready, and no voice-state or member cache is needed. The guild's AFK channel is not
// counted (being parked there is not being in voice), nor are bots when the payload says so.
import { Events, type Client } from 'discord.js';
import { isSnowflake } from '../../families.js';
import { gatewayEvents } from '../../metrics.js';
import type { Tracking } from '../../privacy.js';
import { isExcluded, type GuildSettingsStore } from '../../settings.js';
import type { Presence, SessionTracker } from '../sessions/tracker.js';

export interface RawVoiceState {
  user_id: string;
  channel_id: string | null;
  guild_id?: string;
  member?: { user?: { id: string; bot?: boolean } };
  mute?: boolean;
  deaf?: boolean;
  self_mute?: boolean;
  self_deaf?: boolean;
  self_stream?: boolean;
  self_video?: boolean;
}

interface RawGuild {
  id: string;
  unavailable?: boolean;
  afk_channel_id?: string | null;
  voice_states?: RawVoiceState[];
  members?: { user?: { id: string; bot?: boolean } }[];
}

/**
 * Whether a voice state names a member and a channel (or none) by valid ids. Dispatches are validated
 * before they reach the collectors (src/shard/dispatch-guard.ts); this keeps garbage out of the session
 * store even if a shape slipped through.
 */
export function validVoiceState(vs: RawVoiceState | null | undefined): vs is RawVoiceState {
  return isSnowflake(vs?.user_id) && (vs.channel_id === null || isSnowflake(vs.channel_id));
}

/** Metric flags in the order of FAMILIES.voice.metrics (seconds, muted, deafened, streaming, video). */
export function voicePresence(vs: RawVoiceState, afkChannelId: string | null | undefined): Presence | undefined {
  if (!vs.channel_id || vs.channel_id === afkChannelId || vs.member?.user?.bot === true) return undefined;
  const flags =
    1 |
    (vs.mute || vs.self_mute ? 1 << 1 : 0) |
    (vs.deaf || vs.self_deaf ? 1 << 2 : 0) |
    (vs.self_stream ? 1 << 3 : 0) |
    (vs.self_video ? 1 << 4 : 0);
  return { attrs: vs.channel_id, flags };
}

/** Session field `guild|user` ↔ counter dims guild, channel, user. */
export function voiceDims(field: string, channelId: string): string[] {
  const [guildId, userId] = field.split('|') as [string, string];
  return [guildId, channelId, userId];
}

export function collectVoice(
  client: Client,
  tracker: SessionTracker,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  const afk = new Map<string, string | null>();
  const isSelf = (userId: string) => userId === client.user?.id;
  // Excluded channels and opted-out members: no session (a member moving into one closes theirs).
  const counted = (guildId: string, vs: RawVoiceState) =>
    !(settings && isExcluded(settings.get(guildId), vs.channel_id)) &&
    !(privacy && !privacy.tracked(guildId, vs.user_id));

  client.on(Events.Raw, (packet: { t?: string; d?: unknown }, shardId: number) => {
    switch (packet.t) {
      case 'GUILD_CREATE': {
        const g = packet.d as RawGuild | null;
        if (!isSnowflake(g?.id)) return;
        if (g.unavailable) return tracker.forget(g.id);
        afk.set(g.id, isSnowflake(g.afk_channel_id) ? g.afk_channel_id : null);
        const bots = new Set((g.members ?? []).filter((m) => m.user?.bot === true).map((m) => m.user!.id));
        const present = new Map<string, Presence>();
        for (const vs of g.voice_states ?? []) {
          if (!validVoiceState(vs) || bots.has(vs.user_id) || isSelf(vs.user_id) || !counted(g.id, vs)) continue;
          const p = voicePresence(vs, g.afk_channel_id);
          if (p) present.set(`${g.id}|${vs.user_id}`, p);
        }
        return tracker.reconcile(g.id, present, tracker.now());
      }
      case 'GUILD_UPDATE': {
        const g = packet.d as RawGuild | null;
        if (!isSnowflake(g?.id)) return;
        const now = tracker.now();
        const channel = isSnowflake(g.afk_channel_id) ? g.afk_channel_id : null;
        afk.set(g.id, channel);
        // Whoever sits in the channel that just became the AFK channel stops counting.
        if (channel)
          for (const [field, s] of tracker.sessions(g.id))
            if (s.attrs === channel) tracker.set(g.id, field, undefined, now);
        return;
      }
      case 'GUILD_DELETE': {
        const id = (packet.d as { id?: unknown } | null)?.id;
        return isSnowflake(id) ? tracker.forget(id) : undefined;
      }
      case 'VOICE_STATE_UPDATE': {
        const vs = packet.d as RawVoiceState | null;
        if (!validVoiceState(vs) || !isSnowflake(vs.guild_id) || isSelf(vs.user_id)) return;
        gatewayEvents.inc({ type: 'VOICE_STATE_UPDATE', shard: shardId });
        tracker.set(
          vs.guild_id,
          `${vs.guild_id}|${vs.user_id}`,
          counted(vs.guild_id, vs) ? voicePresence(vs, afk.get(vs.guild_id)) : undefined,
          tracker.now(),
        );
        return;
      }
    }
  });
}

// Voice scenarios: members join, leave, move, mute, deafen, stream and turn on video. Each change updates
// the world's voice states (so a later GUILD_CREATE carries them), dispatches VOICE_STATE_UPDATE with the
// member and its user (discord.js needs both), and keeps ground truth: exact milliseconds per
// guild|channel|user and per state, from the simulator's own send times (on its clock, clock.ts). Time in
// the guild's AFK channel is not voice activity and is not in the truth.
import { randomBytes } from 'node:crypto';
import { GatewayDispatchEvents } from 'discord-api-types/v10';
import type { GuildEventSink } from './driver.js';
import { guildJson, voiceStateUpdateJson } from './payloads.js';
import type { SimGuild, SimVoiceState } from './world.js';

export type VoiceFlags = Partial<
  Pick<SimVoiceState, 'selfMute' | 'selfDeaf' | 'mute' | 'deaf' | 'selfStream' | 'selfVideo'>
>;

/** Seconds (fractional) in the voice family's metric order, plus how many segments made them. */
export interface VoiceTotals {
  seconds: number;
  muted_seconds: number;
  deafened_seconds: number;
  streaming_seconds: number;
  video_seconds: number;
  segments: number;
}

interface Segment {
  key: string;
  state: SimVoiceState;
  from: number;
  to: number | undefined;
}

const EMPTY: Required<VoiceFlags> = {
  selfMute: false,
  selfDeaf: false,
  mute: false,
  deaf: false,
  selfStream: false,
  selfVideo: false,
};

export class VoiceDriver {
  private readonly segments: Segment[] = [];
  /** Open segment per guild|user. */
  private readonly open = new Map<string, Segment>();

  constructor(private readonly sim: GuildEventSink) {}

  private guild(guildId: string): SimGuild {
    const g = this.sim.world.guild(guildId);
    if (!g) throw new Error(`unknown guild ${guildId}`);
    return g;
  }

  /** Joins `channelId` (or moves there when already in voice); returns the send time. */
  join(guildId: string, userId: string, channelId: string, flags: VoiceFlags = {}): number {
    const g = this.guild(guildId);
    const ch = this.sim.world.channel(channelId);
    if (!ch || ch.guildId !== guildId) throw new Error(`channel ${channelId} is not in guild ${guildId}`);
    const prev = g.voiceStates.get(userId);
    const state: SimVoiceState = {
      ...EMPTY,
      ...(prev ?? { sessionId: randomBytes(16).toString('hex') }),
      ...flags,
      channelId,
    };
    return this.send(g, userId, state);
  }

  move(guildId: string, userId: string, channelId: string): number {
    if (!this.guild(guildId).voiceStates.has(userId)) throw new Error(`user ${userId} is not in voice in ${guildId}`);
    return this.join(guildId, userId, channelId);
  }

  /** Changes mute / deafen / stream / video of a member in voice. */
  update(guildId: string, userId: string, flags: VoiceFlags): number {
    const g = this.guild(guildId);
    const prev = g.voiceStates.get(userId);
    if (!prev) throw new Error(`user ${userId} is not in voice in ${guildId}`);
    return this.send(g, userId, { ...prev, ...flags });
  }

  leave(guildId: string, userId: string): number {
    const g = this.guild(guildId);
    const prev = g.voiceStates.get(userId);
    if (!prev) throw new Error(`user ${userId} is not in voice in ${guildId}`);
    return this.send(g, userId, undefined, prev);
  }

  /** Sets the guild's AFK channel and dispatches GUILD_UPDATE; the truth is cut at this instant. */
  setAfkChannel(guildId: string, channelId: string | null): number {
    const g = this.guild(guildId);
    const now = this.sim.clock.now();
    g.afkChannelId = channelId;
    for (const [userId, vs] of g.voiceStates) this.record(g, userId, vs, now);
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.GuildUpdate, guildJson(g));
    return now;
  }

  private send(g: SimGuild, userId: string, state: SimVoiceState | undefined, left?: SimVoiceState): number {
    const member = g.members.get(userId);
    if (!member) throw new Error(`user ${userId} is not a member of guild ${g.id}`);
    const now = this.sim.clock.now();
    if (state) g.voiceStates.set(userId, state);
    else g.voiceStates.delete(userId);
    this.record(g, userId, state, now);
    const payload = voiceStateUpdateJson(userId, state ?? { ...left!, channelId: null }, g.id, member);
    this.sim.dispatchGuildEvent(g.id, GatewayDispatchEvents.VoiceStateUpdate, payload);
    return now;
  }

  private record(g: SimGuild, userId: string, state: SimVoiceState | undefined, at: number): void {
    const id = `${g.id}|${userId}`;
    const cur = this.open.get(id);
    if (cur) {
      cur.to = at;
      this.open.delete(id);
    }
    if (state && state.channelId !== g.afkChannelId) {
      const seg: Segment = {
        key: `${g.id}|${state.channelId}|${userId}`,
        state: { ...state },
        from: at,
        to: undefined,
      };
      this.segments.push(seg);
      this.open.set(id, seg);
    }
  }

  /** Exact seconds per `guild|channel|user` up to `at` (default the simulator's clock's now). */
  truth(at = this.sim.clock.now()): Map<string, VoiceTotals> {
    const out = new Map<string, VoiceTotals>();
    for (const s of this.segments) {
      const to = Math.min(s.to ?? at, at);
      if (to <= s.from) continue;
      const sec = (to - s.from) / 1000;
      let t = out.get(s.key);
      if (!t)
        out.set(
          s.key,
          (t = {
            seconds: 0,
            muted_seconds: 0,
            deafened_seconds: 0,
            streaming_seconds: 0,
            video_seconds: 0,
            segments: 0,
          }),
        );
      t.seconds += sec;
      if (s.state.mute || s.state.selfMute) t.muted_seconds += sec;
      if (s.state.deaf || s.state.selfDeaf) t.deafened_seconds += sec;
      if (s.state.selfStream) t.streaming_seconds += sec;
      if (s.state.selfVideo) t.video_seconds += sec;
      t.segments++;
    }
    return out;
  }
}

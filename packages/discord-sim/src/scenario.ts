// Traffic for every family at once, with ground truth: chat (optionally dated over past hours), emojis in
// messages and reactions, other apps' command responses, members joining through invites and leaving,
// voice sessions with mutes, streams, video and moves, and presence activities (games, apps). The demo and the end-to-end tests use it.
import { sendAppTraffic } from './app-traffic.js';
import { sendEmojiTraffic } from './emoji-traffic.js';
import type { ChatSink, GuildEventSink } from './driver.js';
import type { MemberTraffic } from './invites.js';
import type { TrafficOptions, TrafficSummary } from './traffic.js';
import { Rng } from './rng.js';
import { PresenceDriver } from './presence.js';
import { VoiceDriver } from './voice.js';

export interface MixedTrafficOptions {
  messages: number;
  emojiMessages: number;
  reactions: number;
  appMessages: number;
  /** Members who join through invites (one after another, so each can be attributed). */
  joins: number;
  /** Members who join voice; they stay until endVoice(). */
  voiceMembers: number;
  /** Members who start playing a game or using an app (presence activities); they stop at endVoice(). */
  activityMembers?: number;
  historyMs?: number;
  ratePerSec?: number;
  seed?: number;
  onProgress?: (sent: number) => void;
  /** Called between member joins: the bot needs a moment to diff invite uses (as on Discord). */
  betweenJoins?: () => Promise<void>;
}

/** What sendMixedTraffic drives: chat, guild events, member joins and the simulator's own chat traffic. */
export interface MixedTrafficHost extends ChatSink, GuildEventSink {
  readonly members: MemberTraffic;
  sendTraffic(o: TrafficOptions): Promise<TrafficSummary>;
}

export interface MixedTraffic {
  voice: VoiceDriver;
  presence: PresenceDriver;
  /** Moves some voice members and changes others' mute/stream/video state. */
  shuffleVoice(): void;
  /** Everyone the scenario put in voice leaves, and every activity it started stops. */
  endVoice(): void;
}

export async function sendMixedTraffic(sim: MixedTrafficHost, o: MixedTrafficOptions): Promise<MixedTraffic> {
  const rng = new Rng(o.seed ?? 0x5ce7);
  await sim.sendTraffic({
    messages: o.messages,
    ratePerSec: o.ratePerSec,
    historyMs: o.historyMs,
    seed: o.seed,
    onProgress: o.onProgress,
  });
  await sendEmojiTraffic(sim, { messages: o.emojiMessages, reactions: o.reactions, seed: o.seed });
  await sendAppTraffic(sim, { messages: o.appMessages, seed: o.seed });

  const guilds = [...sim.world.guilds.keys()];
  const invites = new Map<string, string>();
  for (let i = 0; i < o.joins; i++) {
    const guildId = rng.pick(guilds);
    let code = invites.get(guildId);
    if (code === undefined) {
      const inviter = rng.pick(sim.world.humanMembers(guildId)).user.id;
      code = sim.members.createInvite(guildId, { inviterId: inviter }).code;
      invites.set(guildId, code);
    }
    const user = sim.members.newUser(rng.chance(0.2) ? 2 : 400);
    sim.members.join(guildId, user, { code });
    await o.betweenJoins?.();
    if (rng.chance(0.25)) sim.members.leave(guildId, user.id);
  }

  const voice = new VoiceDriver(sim);
  const inVoice: { guildId: string; userId: string }[] = [];
  const voiceGuilds = guilds.filter((g) => sim.world.voiceChannels(g).length > 0);
  for (let i = 0; i < o.voiceMembers && voiceGuilds.length > 0; i++) {
    const guildId = rng.pick(voiceGuilds);
    const free = sim.world
      .humanMembers(guildId)
      .filter((m) => !inVoice.some((v) => v.guildId === guildId && v.userId === m.user.id));
    if (free.length === 0) continue;
    const userId = rng.pick(free).user.id;
    const channel = rng.pick(
      sim.world.voiceChannels(guildId).filter((c) => c.id !== sim.world.guild(guildId)!.afkChannelId),
    );
    if (!channel) continue;
    voice.join(guildId, userId, channel.id, {
      selfMute: rng.chance(0.3),
      selfStream: rng.chance(0.15),
      selfVideo: rng.chance(0.1),
    });
    inVoice.push({ guildId, userId });
  }
  // Games and apps: by application id where Discord gives one, by name otherwise.
  const GAMES = [
    { name: 'Rocket League', applicationId: '356877880938070016' },
    { name: 'Minecraft' },
    { name: 'Spotify', type: 2 },
    { name: 'Visual Studio Code' },
  ];
  const presence = new PresenceDriver(sim);
  const playing: { guildId: string; userId: string }[] = [];
  for (let i = 0; i < (o.activityMembers ?? 0); i++) {
    const guildId = rng.pick(guilds);
    const userId = rng.pick(sim.world.humanMembers(guildId)).user.id;
    if (playing.some((p) => p.guildId === guildId && p.userId === userId)) continue;
    presence.set(guildId, userId, [rng.pick(GAMES)]);
    playing.push({ guildId, userId });
  }
  return {
    voice,
    presence,
    shuffleVoice() {
      for (const v of inVoice) {
        const channels = sim.world
          .voiceChannels(v.guildId)
          .filter((c) => c.id !== sim.world.guild(v.guildId)!.afkChannelId);
        if (rng.chance(0.3) && channels.length > 1) voice.move(v.guildId, v.userId, rng.pick(channels).id);
        else
          voice.update(v.guildId, v.userId, {
            selfMute: rng.chance(0.5),
            selfDeaf: rng.chance(0.1),
            selfStream: rng.chance(0.2),
          });
      }
    },
    endVoice() {
      for (const v of inVoice.splice(0)) voice.leave(v.guildId, v.userId);
      for (const p of playing.splice(0)) presence.set(p.guildId, p.userId, []);
    },
  };
}

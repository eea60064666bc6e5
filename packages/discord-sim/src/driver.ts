// What the scenario drivers (voice, presences, invites, emoji and app traffic, mixed scenarios) need of the
// simulator. They take these small interfaces instead of the Simulator class, so no driver imports the
// module that imports it, and a driver can be exercised against anything that offers the same calls.
import type { GatewayDispatchEvents } from 'discord-api-types/v10';
import type { SendMessage, SentMessage } from './messages.js';
import type { SendReaction } from './emoji.js';
import type { SimClock } from './clock.js';
import type { World } from './world.js';

/** The world, the clock session truth is timed by, and a way to dispatch a guild event to the guild's shard. */
export interface GuildEventSink {
  readonly world: World;
  /** When a voice or activity segment starts and ends (SimulatorOptions.clock). */
  readonly clock: SimClock;
  /** Sends the event to every session on the guild's shard that asked for its intent; returns how many. */
  dispatchGuildEvent(guildId: string, event: GatewayDispatchEvents, data: unknown): number;
}

/** Chat as members make it: messages (recorded in the ground truth), reactions and fresh snowflakes. */
export interface ChatSink {
  readonly world: World;
  sendMessage(m: SendMessage): SentMessage;
  react(r: SendReaction): void;
  /** A snowflake from the simulator's generator for `atMs` (default now). */
  newSnowflake(atMs?: number): string;
}

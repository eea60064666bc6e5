// Application-command traffic with ground truth. Other apps' command uses reach a bot only as their
// response messages (interaction_metadata, the deprecated `interaction`, application_id): originals count,
// follow-ups and component responses do not. (Commands invoked on the bot itself: command-data.ts.)
import { Rng } from './rng.js';
import type { ChatSink } from './driver.js';
import type { SimGuild, SimUser } from './world.js';

/** Name the truth uses when a message carries no command name (only interaction_metadata). */
export const UNKNOWN_COMMAND = '(unknown)';

/** Other apps' commands, with subcommands and groups as Discord names them in `interaction.name`. */
const CHAT_COMMANDS = [
  'play',
  'queue',
  'skip',
  'rank',
  'leaderboard',
  'poll create',
  'ticket open',
  'mod warn',
  'config logging set',
];
const CONTEXT_COMMANDS = ['Report Message', 'User Info', 'Translate'];

/** Old apps whose application id differs from their bot user's id (newer apps share one id). */
const OLD_APPS = new Set(['Modbot', 'Pollster', 'Welcomer']);

/** The app's id: its bot user's id, or for old apps that id with a process-id bit flipped (unique). */
export function applicationIdOf(bot: SimUser): string {
  return OLD_APPS.has(bot.username) ? (BigInt(bot.id) ^ (1n << 16n)).toString() : bot.id;
}

export interface AppTrafficOptions {
  messages: number;
  seed?: number;
  guildIds?: string[];
}

export interface AppTrafficSummary {
  messages: number;
  /** Original command responses: the uses the truth counts. */
  counted: number;
  followups: number;
  components: number;
}

/** Sends other apps' interaction response messages through `sim`; sendMessage records the truth. */
export async function sendAppTraffic(sim: ChatSink, opts: AppTrafficOptions): Promise<AppTrafficSummary> {
  const rng = new Rng(opts.seed ?? 0xa995);
  const guilds = (opts.guildIds ?? [...sim.world.guilds.keys()])
    .map((id) => sim.world.guild(id)!)
    .filter((g) => sim.world.botMembers(g.id).length > 0);
  if (guilds.length === 0) throw new Error('no guild has another app to send command responses');
  const summary: AppTrafficSummary = { messages: 0, counted: 0, followups: 0, components: 0 };
  const originals: {
    guild: SimGuild;
    channelId: string;
    botId: string;
    applicationId: string;
    messageId: string;
    userId: string;
    interactionId: string;
  }[] = [];

  for (let i = 0; i < opts.messages; i++) {
    const guild = rng.pick(guilds);
    const bot = rng.pick(sim.world.botMembers(guild.id)).user;
    const channel = rng.pick([...sim.world.textChannels(guild.id), ...sim.world.threads(guild.id)]);
    const user = rng.pick(sim.world.humanMembers(guild.id)).user;
    const roll = rng.next();
    const prior = originals.length ? rng.pick(originals) : undefined;
    if (roll < 0.1 && prior) {
      // A follow-up to an earlier response: same interaction, not a new use.
      sim.sendMessage({
        guildId: prior.guild.id,
        channelId: prior.channelId,
        authorId: prior.botId,
        content: 'and one more thing',
        interaction: {
          id: prior.interactionId,
          type: 2,
          userId: prior.userId,
          name: 'play',
          applicationId: prior.applicationId,
          originalResponseMessageId: prior.messageId,
        },
      });
      summary.followups++;
    } else if (roll < 0.2 && prior) {
      // A button press on an earlier response (message component interaction).
      sim.sendMessage({
        guildId: prior.guild.id,
        channelId: prior.channelId,
        authorId: prior.botId,
        content: 'page 2',
        interaction: {
          id: sim.newSnowflake(),
          type: 3,
          userId: rng.pick(sim.world.humanMembers(prior.guild.id)).user.id,
          applicationId: prior.applicationId,
          interactedMessageId: prior.messageId,
        },
      });
      summary.components++;
    } else {
      const context = roll < 0.3;
      const withName = roll >= 0.3 && roll < 0.4 ? false : true; // some carry interaction_metadata only
      const withAppId = !(roll >= 0.4 && roll < 0.5); // some omit application_id: the author is the app
      const interactionId = sim.newSnowflake();
      const m = sim.sendMessage({
        guildId: guild.id,
        channelId: channel.id,
        authorId: bot.id,
        content: rng.chance(0.3) ? '' : 'Done! 🎵',
        interaction: {
          id: interactionId,
          type: 2,
          userId: user.id,
          ...(withName ? { name: context ? rng.pick(CONTEXT_COMMANDS) : rng.pick(CHAT_COMMANDS) } : {}),
          commandType: context ? rng.pick([2, 3] as const) : 1,
          ...(withAppId ? { applicationId: applicationIdOf(bot) } : {}),
        },
      });
      originals.push({
        guild,
        channelId: channel.id,
        botId: bot.id,
        applicationId: applicationIdOf(bot),
        messageId: m.id,
        userId: user.id,
        interactionId,
      });
      summary.counted++;
    }
    summary.messages++;
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  return summary;
}

// Application-command traffic with ground truth. Other apps' command uses reach a bot only as their
// response messages (interaction_metadata, the deprecated `interaction`, application_id): originals count,
// follow-ups and component responses do not. Our own commands arrive as INTERACTION_CREATE; this module
// also shapes those payloads for subcommand groups and user / message context menus.
import { messageCreateJson } from './messages.js';
import { channelJson, memberJson, userJson, type Json } from './payloads.js';
import { Rng } from './rng.js';
import type { InvokeCommand } from './interactions.js';
import type { Simulator } from './index.js';
import type { SimGuild, SimUser, World } from './world.js';

/** Name the truth uses when a message carries no command name (only interaction_metadata). */
export const UNKNOWN_COMMAND = '(unknown)';

export interface InvokeAppCommand extends InvokeCommand {
  /** Subcommand group holding `subcommand` ("/config logging set"). */
  subcommandGroup?: string;
  /** 1 chat input (default), 2 user context menu, 3 message context menu. */
  commandType?: 1 | 2 | 3;
  /** Context menus: the user or message acted on (default: the invoker, or a fresh message id). */
  targetId?: string;
}

/** The command as the bot records it: name, group and subcommand joined by spaces. */
export function invokedCommandName(c: InvokeAppCommand): string {
  if ((c.commandType ?? 1) !== 1) return c.name;
  return [c.name, c.subcommandGroup, c.subcommand].filter((p): p is string => !!p).join(' ');
}

/** Rewrites the chat-input payload Interactions builds into a grouped or context-menu command. */
export function shapeCommandPayload(payload: Json, c: InvokeAppCommand, world: World, newId: () => string, attachmentsUrl: string): void {
  const data = payload.data as Json;
  const type = c.commandType ?? 1;
  if (type === 1) {
    // Channel options (type 7) arrive with the channel in data.resolved, as Discord sends them.
    const channels: Json = {};
    const walk = (opts: { type: number; value?: unknown; options?: unknown[] }[] = []): void => {
      for (const o of opts) {
        const ch = o.type === 7 ? world.channel(String(o.value)) : undefined;
        if (ch) channels[ch.id] = channelJson(ch);
        walk(o.options as typeof opts);
      }
    };
    walk(data.options as never);
    if (Object.keys(channels).length > 0) data.resolved = { channels };
    if (c.subcommandGroup) data.options = [{ name: c.subcommandGroup, type: 2, options: data.options }];
    return;
  }
  const guild = world.guild(c.guildId)!;
  data.type = type;
  data.options = [];
  if (type === 2) {
    const target = guild.members.get(c.targetId ?? c.userId);
    if (!target) throw new Error(`context-menu target ${c.targetId} is not a member of guild ${c.guildId}`);
    data.target_id = target.user.id;
    data.resolved = { users: { [target.user.id]: userJson(target.user) }, members: { [target.user.id]: memberJson(target, false) } };
  } else {
    const id = c.targetId ?? newId();
    const author = world.humanMembers(c.guildId)[0]!;
    const message = messageCreateJson({ id, guild, channel: world.channel(c.channelId)!, authorId: author.user.id, content: 'message acted on', attachments: 0, webhook: false, timestamp: Date.now() }, attachmentsUrl);
    data.target_id = id;
    data.resolved = { messages: { [id]: message } };
  }
}

/** Other apps' commands, with subcommands and groups as Discord names them in `interaction.name`. */
const CHAT_COMMANDS = ['play', 'queue', 'skip', 'rank', 'leaderboard', 'poll create', 'ticket open', 'mod warn', 'config logging set'];
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
export async function sendAppTraffic(sim: Simulator, opts: AppTrafficOptions): Promise<AppTrafficSummary> {
  const rng = new Rng(opts.seed ?? 0xa995);
  const guilds = (opts.guildIds ?? [...sim.world.guilds.keys()]).map((id) => sim.world.guild(id)!).filter((g) => sim.world.botMembers(g.id).length > 0);
  if (guilds.length === 0) throw new Error('no guild has another app to send command responses');
  const summary: AppTrafficSummary = { messages: 0, counted: 0, followups: 0, components: 0 };
  const originals: { guild: SimGuild; channelId: string; botId: string; applicationId: string; messageId: string; userId: string; interactionId: string }[] = [];

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
        guildId: prior.guild.id, channelId: prior.channelId, authorId: prior.botId, content: 'and one more thing',
        interaction: { id: prior.interactionId, type: 2, userId: prior.userId, name: 'play', applicationId: prior.applicationId, originalResponseMessageId: prior.messageId },
      });
      summary.followups++;
    } else if (roll < 0.2 && prior) {
      // A button press on an earlier response (message component interaction).
      sim.sendMessage({
        guildId: prior.guild.id, channelId: prior.channelId, authorId: prior.botId, content: 'page 2',
        interaction: { id: sim.newSnowflake(), type: 3, userId: rng.pick(sim.world.humanMembers(prior.guild.id)).user.id, applicationId: prior.applicationId, interactedMessageId: prior.messageId },
      });
      summary.components++;
    } else {
      const context = roll < 0.3;
      const withName = roll >= 0.3 && roll < 0.4 ? false : true; // some carry interaction_metadata only
      const withAppId = !(roll >= 0.4 && roll < 0.5); // some omit application_id: the author is the app
      const interactionId = sim.newSnowflake();
      const m = sim.sendMessage({
        guildId: guild.id, channelId: channel.id, authorId: bot.id, content: rng.chance(0.3) ? '' : 'Done! 🎵',
        interaction: {
          id: interactionId, type: 2, userId: user.id,
          ...(withName ? { name: context ? rng.pick(CONTEXT_COMMANDS) : rng.pick(CHAT_COMMANDS) } : {}),
          commandType: context ? rng.pick([2, 3] as const) : 1,
          ...(withAppId ? { applicationId: applicationIdOf(bot) } : {}),
        },
      });
      originals.push({ guild, channelId: channel.id, botId: bot.id, applicationId: applicationIdOf(bot), messageId: m.id, userId: user.id, interactionId });
      summary.counted++;
    }
    summary.messages++;
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  return summary;
}

// How an answer writes an emoji it counted: the guild's own by name, another server's by the name messages
// last showed for it (emoji_names), unicode as itself.
import type { Guild } from 'discord.js';
import { displayEmoji } from '../../emoji.js';
import { emojiNames } from '../../stats/emoji-names.js';
import type { CommandContext } from './context.js';

const SNOWFLAKE = /^\d{17,20}$/;

export type EmojiLabeler = (key: string) => { chart: string; embed: string };

/**
 * How emoji keys (custom emoji ids or unicode sequences) are written, chart text and embed markdown. A
 * custom emoji the guild does not have (another server's, used with Nitro, or one deleted since) is named
 * as messages last showed it (emoji_names), or said to be not in this server: never "deleted".
 */
export async function emojiLabeler(guild: Guild, ctx: CommandContext, keys: readonly string[]): Promise<EmojiLabeler> {
  const foreign = [...new Set(keys)].filter((k) => SNOWFLAKE.test(k) && !guild.emojis.cache.get(k)?.name);
  let names = new Map<string, { name: string; animated: boolean }>();
  try {
    names = await emojiNames(ctx.pool, foreign);
  } catch (err) {
    // Names are for display: the answer goes out with ids rather than not at all.
    ctx.logger.warn({ err, guild: guild.id }, 'could not read emoji names');
  }
  return (key) => {
    if (!SNOWFLAKE.test(key)) {
      const shown = displayEmoji(key);
      return { chart: shown, embed: shown };
    }
    const e = guild.emojis.cache.get(key);
    if (e?.name) return { chart: `:${e.name}:`, embed: `<${e.animated ? 'a' : ''}:${e.name}:${key}>` };
    const known = names.get(key);
    if (known) return { chart: `:${known.name}:`, embed: `:${known.name}: (not in this server)` };
    // Seen before names were kept: from another server, or deleted from this one; either way not here.
    return { chart: `emoji ${key}`, embed: `Emoji not in this server (${key})` };
  };
}

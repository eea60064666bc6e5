// Emoji keys, shared by the emoji collector (message content and reactions). Unicode emojis are found with
// the maintained `emoji-regex` (RGI sequences: ZWJ families, skin tones, flags, keycaps, VS16 variants);
// a hand-written range would miss new Unicode versions.
//
// Key normalisation: every U+FE0F (VARIATION SELECTOR-16) is removed, so "❤️" and "❤" — the same emoji
// typed with and without the emoji-presentation selector — count as one key. Keys therefore look like
// "❤", "1⃣" (1 + U+20E3), "🏳‍🌈"; renderers may add U+FE0F back for display. Custom emojis use their id.
import emojiRegex from 'emoji-regex';

/** `<:name:id>` and animated `<a:name:id>`; Discord names are 2-32 word characters. */
const CUSTOM = /<a?:\w{1,32}:(\d{17,20})>/g;
const VS16 = /\uFE0F/g;
/** One shared instance, used with exec(): matchAll() would clone (recompile) this very large regex per call. */
const UNICODE = emojiRegex();
/** Every unicode emoji has a non-ASCII code point (keycaps need U+20E3), so ASCII-only text has none. */
const NON_ASCII = /[\u0080-\u{10FFFF}]/u;

/** Key of a unicode emoji sequence (a reaction's name or a matched sequence): VS16 removed. */
export function unicodeEmojiKey(sequence: string): string {
  return sequence.replace(VS16, '');
}

/**
 * A key written for display: U+FE0F goes back after every code point whose default presentation is text
 * (❤ → ❤️, 🏳‍🌈 → 🏳️‍🌈, 1⃣ → 1️⃣), so renderers draw the emoji glyph and keep ZWJ sequences whole.
 */
export function displayEmoji(key: string): string {
  const cps = [...key];
  let out = '';
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    const next = cps[i + 1];
    out += c;
    if (next === '\uFE0F' || c === '\u200D' || c === '\u20E3') continue;
    if (!TEXT_DEFAULT.test(c)) continue;
    // Digits, # and * are emoji only as keycap bases.
    if (/^[0-9#*]$/.test(c) && next !== '\u20E3') continue;
    out += '\uFE0F';
  }
  return out;
}
const TEXT_DEFAULT = /^(?![\p{Emoji_Presentation}\p{Emoji_Modifier}\p{Regional_Indicator}])\p{Emoji}$/u;

/** Every emoji occurrence in message content, as keys, in no particular order (repeats kept). */
export function extractEmojis(content: string): string[] {
  const out: string[] = [];
  if (content === '') return out;
  // Custom tokens are cut out first so their names and ids are never scanned as text.
  const rest = content.includes('<') ? content.replace(CUSTOM, (_token, id: string) => (out.push(id), ' ')) : content;
  const first = rest.search(NON_ASCII);
  if (first < 0) return out;
  UNICODE.lastIndex = Math.max(0, first - 1); // a keycap's base (1, #, *) is the ASCII character before it
  for (let m = UNICODE.exec(rest); m !== null; m = UNICODE.exec(rest)) {
    const key = unicodeEmojiKey(m[0]);
    if (key !== '') out.push(key);
  }
  return out;
}

export interface CustomEmoji {
  id: string;
  name: string;
  animated: boolean;
}

const CUSTOM_NAMED = /<(a?):(\w{1,32}):(\d{17,20})>/g;

/** The custom emojis in message content with the names the content gives them (one entry per id). */
export function customEmojis(content: string): CustomEmoji[] {
  if (!content.includes('<')) return [];
  const out = new Map<string, CustomEmoji>();
  for (const m of content.matchAll(CUSTOM_NAMED)) out.set(m[3]!, { id: m[3]!, name: m[2]!, animated: m[1] === 'a' });
  return [...out.values()];
}

/** Uses per key in message content. */
export function countEmojis(content: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of extractEmojis(content)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

// Names of custom emojis the bot has seen used (table emoji_names, written by src/shard/emoji-names.ts), so
// answers can name an emoji from another server or one deleted since.
import type { Queryable } from '../db/pool.js';

/** Known names of custom emojis by id (those the bot has seen used). */
export async function emojiNames(
  db: Queryable,
  ids: readonly string[],
): Promise<Map<string, { name: string; animated: boolean }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; name: string; animated: boolean }>(
    'SELECT emoji_id::text AS id, name, animated FROM emoji_names WHERE emoji_id = ANY ($1::bigint[])',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, { name: r.name, animated: r.animated }]));
}

// Names and structure of a guild as the shard processes recorded them (sql/030, src/shard/structure.ts):
// what commands name channels, categories and roles by, and check role and category options against,
// without a gateway cache.
import type { Queryable } from '../db/pool.js';

export interface ChannelInfo {
  id: string;
  type: number;
  parentId: string | null;
  name: string;
  deleted: boolean;
}

export interface RoleInfo {
  id: string;
  name: string;
  colour: number;
  deleted: boolean;
}

/** Discord's channel type of a category. */
export const CATEGORY_TYPE = 4;

/** Known channels of the guild by id (deleted ones keep their last name). */
export async function guildChannels(
  db: Queryable,
  guildId: string,
  ids: readonly string[],
): Promise<Map<string, ChannelInfo>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{
    id: string;
    type: number;
    parent_id: string | null;
    name: string;
    deleted: boolean;
  }>(
    `SELECT channel_id::text AS id, type, parent_id::text AS parent_id, name, deleted_at IS NOT NULL AS deleted
       FROM guild_channels WHERE guild_id = $1::bigint AND channel_id = ANY ($2::bigint[])`,
    [guildId, ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, type: Number(r.type), parentId: r.parent_id, name: r.name, deleted: r.deleted },
    ]),
  );
}

/** One role of the guild; undefined when the guild has no such role (another server's, or never seen). */
export async function guildRole(db: Queryable, guildId: string, roleId: string): Promise<RoleInfo | undefined> {
  const { rows } = await db.query<{ name: string; colour: number; deleted: boolean }>(
    'SELECT name, colour, deleted_at IS NOT NULL AS deleted FROM guild_roles WHERE guild_id = $1::bigint AND role_id = $2::bigint',
    [guildId, roleId],
  );
  const r = rows[0];
  return r ? { id: roleId, name: r.name, colour: Number(r.colour), deleted: r.deleted } : undefined;
}

/** How many members hold the role now (@everyone: every known member). */
export async function roleHolders(db: Queryable, guildId: string, roleId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    roleId === guildId
      ? 'SELECT count(*) AS n FROM guild_members WHERE guild_id = $1::bigint AND $2::bigint = $1::bigint'
      : 'SELECT count(*) AS n FROM member_roles WHERE guild_id = $1::bigint AND role_id = $2::bigint',
    [guildId, roleId],
  );
  return Number(rows[0]!.n);
}

/** Display names of current members by id (opted-out and departed members have none). */
export async function memberDisplayNames(
  db: Queryable,
  guildId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; name: string }>(
    'SELECT user_id::text AS id, display_name AS name FROM guild_members WHERE guild_id = $1::bigint AND user_id = ANY ($2::bigint[])',
    [guildId, ids],
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface GuildStructure {
  /** Every channel, category and thread the bot has seen; deleted ones keep their last name, marked. */
  channels: (ChannelInfo & { position: number })[];
  /** Current roles, highest first (@everyone, the guild's own id, last). */
  roles: (Omit<RoleInfo, 'deleted'> & { position: number })[];
}

/** Names of the whole guild, for the dashboard's labels and its channel, category and role pickers. */
export async function guildStructure(db: Queryable, guildId: string): Promise<GuildStructure> {
  const [channels, roles] = await Promise.all([
    db.query<{ id: string; type: number; parent_id: string | null; name: string; position: number; deleted: boolean }>(
      `SELECT channel_id::text AS id, type, parent_id::text AS parent_id, name, position, deleted_at IS NOT NULL AS deleted
         FROM guild_channels WHERE guild_id = $1::bigint ORDER BY position, channel_id`,
      [guildId],
    ),
    db.query<{ id: string; name: string; colour: number; position: number }>(
      `SELECT role_id::text AS id, name, colour, position
         FROM guild_roles WHERE guild_id = $1::bigint AND deleted_at IS NULL ORDER BY position DESC, role_id`,
      [guildId],
    ),
  ]);
  return {
    channels: channels.rows.map((r) => ({
      id: r.id,
      type: Number(r.type),
      parentId: r.parent_id,
      name: r.name,
      position: Number(r.position),
      deleted: r.deleted,
    })),
    roles: roles.rows.map((r) => ({ id: r.id, name: r.name, colour: Number(r.colour), position: Number(r.position) })),
  };
}

/** Ids of the members who hold the role now (not @everyone: nobody is listed with it). */
export async function roleHolderIds(db: Queryable, guildId: string, roleId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT user_id::text AS id FROM member_roles WHERE guild_id = $1::bigint AND role_id = $2::bigint ORDER BY user_id',
    [guildId, roleId],
  );
  return rows.map((r) => r.id);
}

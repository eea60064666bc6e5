-- Names and structure of each guild, kept current by the shard processes from the gateway
-- (src/shard/structure.ts), so answers, exports and Grafana name channels, categories, roles and members
-- without a gateway cache (the interactions service has none), and filter by role or category.
-- Display data only: counts never depend on these rows. Written in batches off the gateway path.

-- Channels, categories and threads. A deleted channel keeps its last name, marked by deleted_at.
CREATE TABLE guild_channels (
  guild_id   bigint      NOT NULL,
  channel_id bigint      NOT NULL,
  type       smallint    NOT NULL,
  parent_id  bigint,
  name       text        NOT NULL,
  position   integer     NOT NULL DEFAULT 0,
  deleted_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (guild_id, channel_id)
);
-- Channels under a category, threads under a channel.
CREATE INDEX guild_channels_parent ON guild_channels (guild_id, parent_id);

-- Roles; a deleted role keeps its last name, marked by deleted_at (a filter on it is refused, by name).
CREATE TABLE guild_roles (
  guild_id   bigint      NOT NULL,
  role_id    bigint      NOT NULL,
  name       text        NOT NULL,
  colour     integer     NOT NULL DEFAULT 0,
  position   integer     NOT NULL DEFAULT 0,
  deleted_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (guild_id, role_id)
);

-- Current members: display name (personal data: /privacy delete removes the row, opted-out members get
-- none) and when the bot last saw them, so a full member list can sweep those who left unseen.
CREATE TABLE guild_members (
  guild_id     bigint      NOT NULL,
  user_id      bigint      NOT NULL,
  display_name text        NOT NULL,
  bot          boolean     NOT NULL DEFAULT false,
  seen_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (guild_id, user_id)
);

-- Who holds which role now (Discord lists @everyone on nobody: it is everyone). Primary key order serves
-- the role filter, `user_id IN (SELECT user_id FROM member_roles WHERE guild_id = $1 AND role_id = $2)`.
CREATE TABLE member_roles (
  guild_id bigint NOT NULL,
  role_id  bigint NOT NULL,
  user_id  bigint NOT NULL,
  PRIMARY KEY (guild_id, role_id, user_id)
);
CREATE INDEX member_roles_member ON member_roles (guild_id, user_id);

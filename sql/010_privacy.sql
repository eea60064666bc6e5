-- Privacy (docs/architecture.md, invariant 5). Members who opted out of tracking, per guild: shards hold them in a
-- Redis set mirrored from here (pub/sub for changes), the ingest worker reads this table in each load
-- transaction so increments already in Redis at the opt-out never land. A plain table on both engines.
CREATE TABLE privacy_opt_outs (
  guild_id   bigint      NOT NULL,
  user_id    bigint      NOT NULL,
  opted_out  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (guild_id, user_id)
);

-- /settings: channels not counted from the moment they are excluded, and who may see other members' stats.
-- Discord's policy allows Administrator / Manage Server / View Server Insights (and a member's own); a
-- guild may narrow that to Administrator / Manage Server, never widen it.
ALTER TABLE guild_settings
  ADD COLUMN excluded_channels bigint[] NOT NULL DEFAULT '{}',
  ADD COLUMN member_stats_managers_only boolean NOT NULL DEFAULT false;

-- No (guild, user) indexes on the raw tables: deletions are rare and served by the (guild_id, bucket)
-- indexes, while an extra index would slow every COPY on the hot path.

-- Guild-wide rollups (*_guild_15m, *_guild_hourly, *_guild_daily: bucket, guild_id and the sums, no other
-- dimension) as continuous aggregates on the per-member ones of the same grain (hierarchical): same names,
-- columns and types as the tables of 015_materialized_rollups.postgres.sql. On the per-member aggregates,
-- not on the raw tables, so they hold the same history as them: raw rows expire after 90 days, the
-- hourly and daily aggregates do not. A quarter-hour one covers what its parent covers (rollup_coverage).
--
-- Created WITH NO DATA, real-time: until 016_guild_rollups_backfill materializes them (outside a
-- transaction) and adds their policies, they answer from real time, exactly.
-- The per-member aggregates get an index by user: leaving a guild's few bots out of a whole-server answer
-- subtracts their rows (src/stats/scope.ts).
DO $$
DECLARE
  f record;
  g record;
BEGIN
  FOR f IN SELECT * FROM (VALUES ('messages', '{messages,words,attachments}'::text[]),
                                 ('voice', '{seconds,muted_seconds,deafened_seconds,streaming_seconds,video_seconds}'),
                                 ('emojis', '{uses}'), ('app_commands', '{uses}'), ('activities', '{seconds}')) AS x(prefix, metrics) LOOP
    FOR g IN SELECT * FROM (VALUES ('_15m', '15 minutes'), ('_hourly', '1 hour'), ('_daily', '1 day')) AS y(suffix, width) LOOP
      EXECUTE format('CREATE MATERIALIZED VIEW %I WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                      SELECT time_bucket(INTERVAL %L, bucket) AS bucket, guild_id, %s FROM %I GROUP BY 1, guild_id WITH NO DATA',
        f.prefix || '_guild' || g.suffix, g.width,
        (SELECT string_agg(format('sum(%I)::bigint AS %I', m, m), ', ') FROM unnest(f.metrics) m),
        f.prefix || g.suffix);
      EXECUTE format('CREATE INDEX %I ON %I (guild_id, user_id, bucket)', f.prefix || g.suffix || '_user_idx', f.prefix || g.suffix);
    END LOOP;
  END LOOP;
END $$;

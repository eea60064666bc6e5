-- Narrow daily rollups (per channel per day, per member per day: src/families.ts, narrowRollupsOf) as
-- continuous aggregates on the per-member daily ones (hierarchical): same names, columns and types as the
-- tables of 065_narrow_rollups.postgres.sql, `cells` counting the per-member daily rows each row sums. On
-- the daily aggregates, not on the raw tables, so they hold the same history as them (raw rows expire
-- after 90 days, the daily aggregates do not).
--
-- Created WITH NO DATA, real-time: until 066_narrow_rollups_backfill materializes them (outside a
-- transaction) and adds their policies, they answer from real time, exactly.
DO $$
DECLARE
  n record;
BEGIN
  FOR n IN SELECT * FROM (VALUES
      ('messages_by_channel_daily', 'messages_daily', '{channel_id,parent_id}'::text[], '{messages,words,attachments}'::text[]),
      ('messages_by_member_daily', 'messages_daily', '{user_id}', '{messages,words,attachments}'),
      ('voice_by_channel_daily', 'voice_daily', '{channel_id}', '{seconds,muted_seconds,deafened_seconds,streaming_seconds,video_seconds}'),
      ('voice_by_member_daily', 'voice_daily', '{user_id}', '{seconds,muted_seconds,deafened_seconds,streaming_seconds,video_seconds}')
    ) AS x(target, daily, dims, metrics) LOOP
    EXECUTE format('CREATE MATERIALIZED VIEW %I WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                    SELECT time_bucket(INTERVAL ''1 day'', bucket) AS bucket, guild_id, %s, %s, count(*)::bigint AS cells
                      FROM %I GROUP BY 1, guild_id, %s WITH NO DATA',
      n.target, array_to_string(n.dims, ', '),
      (SELECT string_agg(format('sum(%I)::bigint AS %I', m, m), ', ') FROM unnest(n.metrics) m),
      n.daily, array_to_string(n.dims, ', '));
  END LOOP;
END $$;

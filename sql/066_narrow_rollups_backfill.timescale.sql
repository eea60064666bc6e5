-- migrate: no-transaction
-- Materializes the narrow aggregates of 065 from their parents (the per-member daily aggregates: all the
-- history they hold, beyond the raw rows still retained), then adds their refresh policies on the rules of
-- their siblings (the daily ones of 003 and 016), like 016_guild_rollups_backfill.timescale.sql and for the
-- same reason: a policy must not move the watermark over unmaterialized history. Idempotent; a fresh
-- database has nothing to materialize and stays real-time until the first policy run.
DO $$
DECLARE
  rel text;
  has_rows boolean;
BEGIN
  FOREACH rel IN ARRAY ARRAY['messages_by_channel_daily', 'messages_by_member_daily', 'voice_by_channel_daily', 'voice_by_member_daily'] LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', regexp_replace(rel, '_by_(channel|member)_daily$', '_hourly')) INTO has_rows;
    IF has_rows THEN
      CALL refresh_continuous_aggregate(rel::regclass, NULL, now() - INTERVAL '1 day');
      COMMIT;
    END IF;
    PERFORM add_continuous_aggregate_policy(rel::regclass,
      start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour', if_not_exists => true);
    COMMIT;
  END LOOP;
END $$;

-- migrate: no-transaction
-- Materializes the guild-wide aggregates of 015 from their parents, then adds their refresh policies, on
-- the rules of their parents (003 and 012: windows beyond the 2-hour maximum lateness), like
-- 012_rollups_15m_backfill.timescale.sql and for the same reason: a policy must not move the watermark over
-- unmaterialized history. Idempotent; a fresh database has nothing to materialize and stays real-time until
-- the first policy run.
DO $$
DECLARE
  prefix text;
  has_rows boolean;
BEGIN
  FOREACH prefix IN ARRAY ARRAY['messages', 'voice', 'emojis', 'app_commands', 'activities'] LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', prefix || '_hourly') INTO has_rows;
    IF has_rows THEN
      CALL refresh_continuous_aggregate((prefix || '_guild_15m')::regclass, NULL, now() - INTERVAL '15 minutes');
      COMMIT;
      CALL refresh_continuous_aggregate((prefix || '_guild_hourly')::regclass, NULL, now() - INTERVAL '1 hour');
      COMMIT;
      CALL refresh_continuous_aggregate((prefix || '_guild_daily')::regclass, NULL, now() - INTERVAL '1 day');
      COMMIT;
    END IF;
    PERFORM add_continuous_aggregate_policy((prefix || '_guild_15m')::regclass,
      start_offset => INTERVAL '1 day', end_offset => INTERVAL '15 minutes', schedule_interval => INTERVAL '15 minutes', if_not_exists => true);
    PERFORM add_continuous_aggregate_policy((prefix || '_guild_hourly')::regclass,
      start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes', if_not_exists => true);
    PERFORM add_continuous_aggregate_policy((prefix || '_guild_daily')::regclass,
      start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour', if_not_exists => true);
    COMMIT;
  END LOOP;
END $$;

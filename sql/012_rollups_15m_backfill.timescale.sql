-- migrate: no-transaction
-- Materializes the quarter-hour aggregates of 011 from the raw rows still retained, then adds their
-- policies. refresh_continuous_aggregate refuses to run inside a transaction block, so the runner applies
-- this version outside one (the marker on the first line): a DO block run on its own is non-atomic and
-- may CALL it. Every step is idempotent; if the process dies half-way the version is not recorded and
-- the next start runs it again. On a large database this takes a while; the migration lock makes other
-- starting processes wait for it.
--
-- Policies follow the hourly aggregates' rules (003_messages_rollups.timescale.sql): real-time on, refresh
-- window from 1 day back (beyond the 2-hour maximum lateness) to one bucket (the quarter-hour still being
-- written comes from real time), every 15 minutes. No retention: rollups outlive the raw rows. Unlike
-- the hourly and daily aggregates they are compressed, by the raw tables' rule (001_messages.timescale.sql):
-- after 2 days, past the lateness and refresh windows, segmented by guild and ordered by bucket. They are
-- the largest rollups (up to four rows per hourly row) and are kept forever, so compression is where their
-- storage goes (measured in `npm run bench rollups`). A refresh over a compressed range (a privacy
-- deletion, rows later than a day) still works: TimescaleDB rewrites the compressed chunk.
--
-- A fresh database has nothing to materialize: its aggregates are left like the hourly ones of a fresh
-- database (real time until the first policy run), rather than moving the watermark over an empty past.
-- A database with data records where the quarter-hours' history starts (rollup_coverage, 011).
DO $$
DECLARE
  rel text;
  raw text;
  has_rows boolean;
BEGIN
  FOREACH rel IN ARRAY ARRAY['messages_15m', 'voice_15m', 'emojis_15m', 'app_commands_15m', 'activities_15m'] LOOP
    raw := replace(rel, '_15m', '_raw');
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', raw) INTO has_rows;
    IF has_rows THEN
      -- Older raw chunks were dropped by retention: the quarter-hours start with the oldest one left, the
      -- hourly aggregate holds everything before (whole hours: retention drops whole chunks).
      EXECUTE format('INSERT INTO rollup_coverage (rollup, since) SELECT %L, date_trunc(''hour'', min(bucket), ''UTC'') FROM %I ON CONFLICT (rollup) DO NOTHING', rel, raw);
      COMMIT;
      CALL refresh_continuous_aggregate(rel::regclass, NULL, now() - INTERVAL '15 minutes');
      COMMIT;
    END IF;
    PERFORM add_continuous_aggregate_policy(rel::regclass,
      start_offset => INTERVAL '1 day', end_offset => INTERVAL '15 minutes', schedule_interval => INTERVAL '15 minutes',
      if_not_exists => true);
    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_name = rel AND compression_enabled) THEN
      EXECUTE format('ALTER MATERIALIZED VIEW %I SET (timescaledb.compress = true, timescaledb.compress_segmentby = %L, timescaledb.compress_orderby = %L)',
        rel, 'guild_id', 'bucket DESC');
    END IF;
    PERFORM add_compression_policy(rel::regclass, compress_after => INTERVAL '2 days', if_not_exists => true);
    COMMIT;
  END LOOP;
END $$;

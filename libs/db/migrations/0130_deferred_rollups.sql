-- Rollups of every sensor, computed from telemetry_raw in the background instead of inside the
-- sink's write transaction (0120 wrote a narrow row per sensor reading into
-- telemetry_sensor_values in the same statement as the raw rows, and on plain PostgreSQL a
-- statement trigger upserted the rollups there too: the sink ran at a third of COPY's speed).
-- The sink's transaction now writes telemetry_raw only; the rollups read the stored `sensors` map
-- (payload -> 'sensors', spec §5: an open map) directly, so the narrow table is gone on both paths:
--   * with the timescaledb extension: real-time continuous aggregates over telemetry_raw, kept by
--     refresh policies;
--   * on plain PostgreSQL: the same model by hand. Rollup tables hold whole buckets materialised
--     below a watermark; a statement trigger logs the time range of every change to
--     telemetry_raw (one row per statement, nothing per row); zenthos_refresh_telemetry_rollups(),
--     run by the sink in the background (or by any scheduler), recomputes the invalidated buckets
--     and advances the watermark. The views add, live from telemetry_raw, the buckets above the
--     watermark and the buckets with changes not yet refreshed, so they are exact at any moment.
-- Rollups are recomputed from telemetry_raw, never incremented: rows are unique by
-- (message_id, time) and inserted with ON CONFLICT DO NOTHING, so a redelivered batch can never
-- be counted twice. Count, sum, min and max per bucket, device and sensor, so averages of larger
-- buckets stay exact.
--
-- Safe on a database that already has 0120's objects and data: the narrow table only held values
-- copied from telemetry_raw's payloads, and the plain path's rollup tables are emptied and
-- rebuilt by the refresher from telemetry_raw (bounded work per run; the views are exact
-- meanwhile, computing the not yet materialised buckets live).

DROP VIEW IF EXISTS telemetry_1m;
DROP VIEW IF EXISTS telemetry_1h;

DO $do$
BEGIN
  IF zenthos_timescale_enabled() THEN
    -- Dropping a continuous aggregate or a hypertable removes its policies too.
    DROP MATERIALIZED VIEW IF EXISTS telemetry_sensor_agg_1m;
    DROP MATERIALIZED VIEW IF EXISTS telemetry_sensor_agg_1h;
  ELSE
    DROP TRIGGER IF EXISTS telemetry_sensor_values_rollup ON telemetry_sensor_values;
    DROP FUNCTION IF EXISTS zenthos_sensor_rollup();
  END IF;
END
$do$;
DROP TABLE IF EXISTS telemetry_sensor_values;
DELETE FROM timeseries_settings WHERE table_name = 'telemetry_sensor_values';

-- The numeric readings of a stored message's `sensors` map, as the rollups see them. JSON has no
-- NaN or infinities; a map that is not an object (never written by the sink) has no readings.
-- Both paths inline the same expression (continuous aggregates accept only immutable functions
-- of the hypertable's row; a LATERAL call of jsonb_each is one).

DO $do$
DECLARE
  b RECORD;
BEGIN
  IF zenthos_timescale_enabled() THEN
    -- Real-time aggregates (materialized_only = false): the view adds the rows not yet
    -- materialised, as current as the raw table (TimescaleDB 2.13 and later create continuous
    -- aggregates with real-time aggregation off, hence explicit). WITH NO DATA: a migration runs
    -- inside a transaction, where a continuous aggregate cannot be refreshed; the policies fill
    -- them. The GROUP BY holds time_bucket() of the hypertable's time column, as required.
    FOR b IN SELECT * FROM (VALUES ('telemetry_sensor_agg_1m', '1 minute', '3 hours', '1 minute', '1 minute'),
                                   ('telemetry_sensor_agg_1h', '1 hour', '3 days', '1 hour', '30 minutes'))
             AS v(name, width, start_offset, end_offset, schedule) LOOP
      EXECUTE format($sql$
        CREATE MATERIALIZED VIEW IF NOT EXISTS %I
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        SELECT time_bucket(INTERVAL %L, t.time) AS bucket,
               t.device_id,
               s.key AS sensor,
               count(*) AS count,
               sum(s.value::DOUBLE PRECISION) AS sum,
               min(s.value::DOUBLE PRECISION) AS min,
               max(s.value::DOUBLE PRECISION) AS max
        FROM telemetry_raw t
        CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(t.payload -> 'sensors') = 'object' THEN t.payload -> 'sensors' END) AS s
        WHERE jsonb_typeof(s.value) = 'number'
        GROUP BY bucket, t.device_id, s.key
        WITH NO DATA
      $sql$, b.name, b.width);
      PERFORM add_continuous_aggregate_policy(b.name,
        start_offset => b.start_offset::INTERVAL,
        end_offset => b.end_offset::INTERVAL,
        schedule_interval => b.schedule::INTERVAL,
        if_not_exists => TRUE);
    END LOOP;
    -- The policies materialise their windows only (3 hours, 3 days): rows stored before this
    -- migration and older than that would leave the views after the first policy run. The sink
    -- refreshes each aggregate once over its whole history (refresh_continuous_aggregate cannot
    -- run in a migration's transaction) and deletes its row here.
    CREATE TABLE IF NOT EXISTS telemetry_rollup_backfills (
      rollup TEXT PRIMARY KEY,
      end_offset INTERVAL NOT NULL
    );
    INSERT INTO telemetry_rollup_backfills (rollup, end_offset) VALUES
      ('telemetry_sensor_agg_1m', INTERVAL '1 minute'),
      ('telemetry_sensor_agg_1h', INTERVAL '1 hour')
    ON CONFLICT (rollup) DO NOTHING;
  ELSE
    -- Materialised buckets below each rollup's watermark. Buckets newer than now() - end_offset
    -- stay live (as a continuous aggregate's refresh window ends end_offset before now()), so
    -- devices that are a little late do not invalidate what was just materialised.
    CREATE TABLE IF NOT EXISTS telemetry_rollup_watermarks (
      rollup TEXT PRIMARY KEY,
      unit TEXT NOT NULL,
      width INTERVAL NOT NULL,
      end_offset INTERVAL NOT NULL,
      watermark TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
      refreshed_at TIMESTAMPTZ
    );
    INSERT INTO telemetry_rollup_watermarks (rollup, unit, width, end_offset) VALUES
      ('telemetry_sensor_agg_1m', 'minute', INTERVAL '1 minute', INTERVAL '1 minute'),
      ('telemetry_sensor_agg_1h', 'hour', INTERVAL '1 hour', INTERVAL '1 hour')
    ON CONFLICT (rollup) DO UPDATE SET watermark = '-infinity', refreshed_at = NULL;

    -- Time ranges of telemetry_raw changed since the last refresh: one row per statement.
    CREATE TABLE IF NOT EXISTS telemetry_rollup_invalidations (
      lowest TIMESTAMPTZ NOT NULL,
      greatest TIMESTAMPTZ NOT NULL
    );

    FOR b IN SELECT * FROM (VALUES ('telemetry_sensor_agg_1m'), ('telemetry_sensor_agg_1h')) AS v(name) LOOP
      EXECUTE format($sql$
        CREATE TABLE IF NOT EXISTS %I (
          bucket TIMESTAMPTZ NOT NULL,
          device_id TEXT NOT NULL,
          sensor TEXT NOT NULL,
          count BIGINT NOT NULL,
          sum DOUBLE PRECISION NOT NULL,
          min DOUBLE PRECISION NOT NULL,
          max DOUBLE PRECISION NOT NULL,
          PRIMARY KEY (device_id, sensor, bucket)
        )
      $sql$, b.name);
      -- 0120 filled them from the narrow table (the last 3 days only): rebuilt from telemetry_raw.
      EXECUTE format('TRUNCATE %I', b.name);
    END LOOP;

    -- Logs the time range a statement changed. The transition tables hold only the rows really
    -- inserted (ON CONFLICT DO NOTHING leaves duplicates out), deleted or updated. Every change is
    -- logged, whatever the watermark: a refresh running concurrently may move the watermark past
    -- these rows without seeing them (its snapshot predates their commit), and this entry is how
    -- the next one, and the views meanwhile, know.
    CREATE OR REPLACE FUNCTION zenthos_log_telemetry_change() RETURNS TRIGGER LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO telemetry_rollup_invalidations (lowest, greatest)
        SELECT min(time), max(time) FROM new_rows HAVING count(*) > 0;
      ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO telemetry_rollup_invalidations (lowest, greatest)
        SELECT min(time), max(time) FROM old_rows HAVING count(*) > 0;
      ELSE
        INSERT INTO telemetry_rollup_invalidations (lowest, greatest)
        SELECT min(time), max(time) FROM (SELECT time FROM old_rows UNION ALL SELECT time FROM new_rows) AS c HAVING count(*) > 0;
      END IF;
      RETURN NULL;
    END
    $fn$;
    DROP TRIGGER IF EXISTS telemetry_raw_log_insert ON telemetry_raw;
    DROP TRIGGER IF EXISTS telemetry_raw_log_delete ON telemetry_raw;
    DROP TRIGGER IF EXISTS telemetry_raw_log_update ON telemetry_raw;
    -- PostgreSQL allows one event per trigger with transition tables.
    CREATE TRIGGER telemetry_raw_log_insert AFTER INSERT ON telemetry_raw
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zenthos_log_telemetry_change();
    CREATE TRIGGER telemetry_raw_log_delete AFTER DELETE ON telemetry_raw
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION zenthos_log_telemetry_change();
    CREATE TRIGGER telemetry_raw_log_update AFTER UPDATE ON telemetry_raw
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zenthos_log_telemetry_change();
  END IF;
END
$do$;

-- Plain path: the time ranges a rollup serves live from telemetry_raw, disjoint: everything from
-- its watermark on, and the whole buckets below it that changed since the last refresh. Every
-- other bucket comes from the rollup table. A no-op (no rows) with Timescale.
CREATE OR REPLACE FUNCTION zenthos_rollup_live_ranges(p_rollup TEXT)
RETURNS SETOF TSTZRANGE LANGUAGE plpgsql STABLE ROWS 3 AS $fn$
BEGIN
  IF zenthos_timescale_enabled() THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE $sql$
    SELECT unnest(range_agg(r)) FROM (
      SELECT tstzrange(w.watermark, NULL) AS r FROM telemetry_rollup_watermarks w WHERE w.rollup = $1
      UNION ALL
      SELECT tstzrange(date_trunc(w.unit, i.lowest, 'UTC'), date_trunc(w.unit, i.greatest, 'UTC') + w.width)
      FROM telemetry_rollup_invalidations i JOIN telemetry_rollup_watermarks w ON w.rollup = $1
      WHERE i.lowest < w.watermark
    ) AS ranges
  $sql$ USING p_rollup;
END
$fn$;

-- Plain path: materialises the rollups, the job TimescaleDB's refresh policies do on the other
-- path. Claims the logged changes, recomputes the whole buckets they touched below each
-- watermark, and moves each watermark up to now() - end_offset (at most p_max_span per call, so
-- a first run over a long history is done in bounded steps; the views stay exact meanwhile).
-- Returns the number of bucket rows written. Run it in a REPEATABLE READ transaction, one caller
-- at a time (the sink takes an advisory lock): the log entries it claims and the raw rows it reads
-- are then of one snapshot, and a change committed after that snapshot keeps its log entry.
CREATE OR REPLACE FUNCTION zenthos_refresh_telemetry_rollups(p_now TIMESTAMPTZ DEFAULT now(), p_max_span INTERVAL DEFAULT INTERVAL '1 day')
RETURNS INTEGER LANGUAGE plpgsql AS $fn$
DECLARE
  changed TSTZMULTIRANGE;
  r RECORD;
  start TIMESTAMPTZ;
  target TIMESTAMPTZ;
  todo TSTZMULTIRANGE;
  span TSTZRANGE;
  n INTEGER;
  written INTEGER := 0;
BEGIN
  IF zenthos_timescale_enabled() THEN
    RETURN 0;
  END IF;
  EXECUTE $sql$
    WITH claimed AS (DELETE FROM telemetry_rollup_invalidations RETURNING lowest, greatest)
    SELECT range_agg(tstzrange(lowest, greatest, '[]')) FROM claimed
  $sql$ INTO changed;
  FOR r IN EXECUTE 'SELECT * FROM telemetry_rollup_watermarks ORDER BY rollup FOR UPDATE' LOOP
    start := r.watermark;
    IF start = '-infinity' THEN
      -- First run: nothing below the oldest raw row to materialise.
      EXECUTE format('SELECT date_trunc(%L, min(time), %L) FROM telemetry_raw', r.unit, 'UTC') INTO start;
    END IF;
    target := date_trunc(r.unit, p_now - r.end_offset, 'UTC');
    start := coalesce(start, target);
    target := GREATEST(start, LEAST(target, date_trunc(r.unit, start + p_max_span, 'UTC')));
    -- The new buckets, and the whole buckets below the old watermark that changed.
    todo := tstzmultirange(tstzrange(start, target));
    IF changed IS NOT NULL AND r.watermark > '-infinity' THEN
      todo := todo + (
        SELECT coalesce(range_agg(tstzrange(date_trunc(r.unit, lower(c), 'UTC'), date_trunc(r.unit, upper(c), 'UTC') + r.width)), '{}')
        FROM unnest(changed) AS c
      ) * tstzmultirange(tstzrange(NULL, r.watermark));
    END IF;
    FOR span IN SELECT unnest(todo) LOOP
      EXECUTE format('DELETE FROM %I WHERE bucket >= $1 AND bucket < $2', r.rollup) USING lower(span), upper(span);
      EXECUTE format($sql$
        INSERT INTO %I (bucket, device_id, sensor, count, sum, min, max)
        SELECT date_trunc(%L, t.time, 'UTC'), t.device_id, s.key, count(*),
               sum(s.value::DOUBLE PRECISION), min(s.value::DOUBLE PRECISION), max(s.value::DOUBLE PRECISION)
        FROM telemetry_raw t
        CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(t.payload -> 'sensors') = 'object' THEN t.payload -> 'sensors' END) AS s
        WHERE t.time >= $1 AND t.time < $2 AND jsonb_typeof(s.value) = 'number'
        GROUP BY 1, 2, 3
      $sql$, r.rollup, r.unit) USING lower(span), upper(span);
      GET DIAGNOSTICS n = ROW_COUNT;
      written := written + n;
    END LOOP;
    UPDATE telemetry_rollup_watermarks SET watermark = GREATEST(r.watermark, target), refreshed_at = now() WHERE rollup = r.rollup;
  END LOOP;
  RETURN written;
END
$fn$;

-- The query surface, the same columns on both paths: bucket, device_id, sensor, count, avg, min,
-- max (one row per bucket, device and sensor).
DO $do$
DECLARE
  b RECORD;
BEGIN
  FOR b IN SELECT * FROM (VALUES ('telemetry_1m', 'telemetry_sensor_agg_1m', 'minute'),
                                 ('telemetry_1h', 'telemetry_sensor_agg_1h', 'hour')) AS v(view, rollup, unit) LOOP
    IF zenthos_timescale_enabled() THEN
      EXECUTE format('CREATE VIEW %I AS SELECT bucket, device_id, sensor, count, sum / count AS avg, min, max FROM %I', b.view, b.rollup);
    ELSE
      -- Materialised buckets outside the live ranges, and the live ranges aggregated from
      -- telemetry_raw: disjoint, so nothing is counted twice, and one statement's snapshot, so a
      -- refresh committing meanwhile is seen entirely or not at all.
      EXECUTE format($sql$
        CREATE VIEW %1$I AS
        WITH live AS MATERIALIZED (SELECT r FROM zenthos_rollup_live_ranges(%2$L) AS r)
        SELECT a.bucket, a.device_id, a.sensor, a.count, a.sum / a.count AS avg, a.min, a.max
        FROM %2$I a
        WHERE NOT EXISTS (SELECT 1 FROM live WHERE a.bucket <@ live.r)
        UNION ALL
        SELECT date_trunc(%3$L, t.time, 'UTC') AS bucket, t.device_id, s.key AS sensor, count(*) AS count,
               sum(s.value::DOUBLE PRECISION) / count(*) AS avg, min(s.value::DOUBLE PRECISION) AS min,
               max(s.value::DOUBLE PRECISION) AS max
        FROM live
        JOIN telemetry_raw t ON t.time >= lower(live.r) AND t.time < coalesce(upper(live.r), 'infinity')
        CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(t.payload -> 'sensors') = 'object' THEN t.payload -> 'sensors' END) AS s
        WHERE jsonb_typeof(s.value) = 'number'
        GROUP BY 1, 2, 3
      $sql$, b.view, b.rollup, b.unit);
    END IF;
  END LOOP;
END
$do$;

-- Rollups of every sensor a device reports (spec §5: `sensors` is an open map), not only the
-- temperature and humidity columns of telemetry_raw that 0100 rolled up. One narrow row per
-- numeric sensor reading, written by the sink in the same statement as the telemetry_raw rows it
-- belongs to (and only for rows that statement really inserted, so a redelivered batch adds
-- nothing), rolled up per device and sensor at 1 minute and 1 hour:
--   * with the timescaledb extension: a hypertable with compression and retention policies
--     (zenthos_configure_timeseries) and real-time continuous aggregates with refresh policies;
--   * on plain PostgreSQL: daily partitions and rollup tables kept current by a statement
--     trigger inside the writing transaction.
-- The views telemetry_1m / telemetry_1h keep their columns and now read these rollups; the
-- temperature/humidity-only rollups of 0100 are dropped.

-- Follows telemetry_raw's retention and compression until the sink applies its settings.
INSERT INTO timeseries_settings (table_name, retention, compress_after)
SELECT 'telemetry_sensor_values', retention, compress_after FROM timeseries_settings WHERE table_name = 'telemetry_raw'
ON CONFLICT (table_name) DO NOTHING;

DO $do$
DECLARE
  cols CONSTANT TEXT := $cols$
    time TIMESTAMPTZ NOT NULL,
    message_id UUID NOT NULL,
    device_id TEXT NOT NULL,
    sensor TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    UNIQUE (message_id, sensor, time)
  $cols$;
  s RECORD;
BEGIN
  IF zenthos_timescale_enabled() THEN
    EXECUTE format('CREATE TABLE telemetry_sensor_values (%s)', cols);
    PERFORM create_hypertable('telemetry_sensor_values', 'time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
    -- Segments per device and sensor: a compressed segment is one series, which compresses best.
    ALTER TABLE telemetry_sensor_values SET (
      timescaledb.compress,
      timescaledb.compress_orderby = 'time DESC, message_id',
      timescaledb.compress_segmentby = 'device_id, sensor'
    );
    SELECT retention, compress_after INTO s FROM timeseries_settings WHERE table_name = 'telemetry_sensor_values';
    PERFORM zenthos_configure_timeseries('telemetry_sensor_values', s.retention, s.compress_after);
  ELSE
    EXECUTE format('CREATE TABLE telemetry_sensor_values (%s) PARTITION BY RANGE (time)', cols);
    -- A partition for every day telemetry_raw has one (the backfill below writes those days).
    FOR s IN
      SELECT c.relname
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'telemetry_raw'::REGCLASS AND c.relname ~ '^telemetry_raw_p[0-9]{8}$'
    LOOP
      PERFORM zenthos_ensure_partitions('telemetry_sensor_values',
        to_date(right(s.relname, 8), 'YYYYMMDD')::TIMESTAMP AT TIME ZONE 'UTC', 1);
    END LOOP;
    PERFORM zenthos_ensure_partitions('telemetry_sensor_values', now() - INTERVAL '1 day', 9);
  END IF;
END
$do$;

-- Count, sum, min and max per bucket, device and sensor: averages of larger buckets stay exact
-- (sum / count, never an average of averages).
DO $do$
DECLARE
  b RECORD;
BEGIN
  FOR b IN SELECT * FROM (VALUES ('telemetry_sensor_agg_1m', '1 minute', 'minute', '3 hours', '1 minute', '1 minute'),
                                 ('telemetry_sensor_agg_1h', '1 hour', 'hour', '3 days', '1 hour', '30 minutes'))
           AS v(name, width, unit, start_offset, end_offset, schedule) LOOP
    IF zenthos_timescale_enabled() THEN
      -- Real-time aggregates (materialized_only = false) add the rows not yet materialised, so
      -- the view is as current as the plain path's rollup tables. WITH NO DATA: the migration
      -- runs inside a transaction, where a continuous aggregate cannot be refreshed.
      EXECUTE format($sql$
        CREATE MATERIALIZED VIEW %I
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        SELECT time_bucket(INTERVAL %L, time) AS bucket,
               device_id,
               sensor,
               count(value) AS count,
               sum(value) AS sum,
               min(value) AS min,
               max(value) AS max
        FROM telemetry_sensor_values
        GROUP BY bucket, device_id, sensor
        WITH NO DATA
      $sql$, b.name, b.width);
      PERFORM add_continuous_aggregate_policy(b.name,
        start_offset => b.start_offset::INTERVAL,
        end_offset => b.end_offset::INTERVAL,
        schedule_interval => b.schedule::INTERVAL);
    ELSE
      EXECUTE format($sql$
        CREATE TABLE %I (
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
    END IF;
  END LOOP;

  IF NOT zenthos_timescale_enabled() THEN
    -- The statement trigger sees only the rows the INSERT really added, and the rollups commit
    -- or roll back with them. Buckets are cut in UTC, as time_bucket does on the other path,
    -- whatever the session's TimeZone.
    CREATE FUNCTION zenthos_sensor_rollup() RETURNS TRIGGER LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO telemetry_sensor_agg_1m AS a (bucket, device_id, sensor, count, sum, min, max)
      SELECT date_trunc('minute', time, 'UTC'), device_id, sensor, count(*), sum(value), min(value), max(value)
      FROM inserted GROUP BY 1, 2, 3 ORDER BY 2, 3, 1
      ON CONFLICT (device_id, sensor, bucket) DO UPDATE SET
        count = a.count + EXCLUDED.count,
        sum = a.sum + EXCLUDED.sum,
        min = LEAST(a.min, EXCLUDED.min),
        max = GREATEST(a.max, EXCLUDED.max);
      INSERT INTO telemetry_sensor_agg_1h AS a (bucket, device_id, sensor, count, sum, min, max)
      SELECT date_trunc('hour', time, 'UTC'), device_id, sensor, count(*), sum(value), min(value), max(value)
      FROM inserted GROUP BY 1, 2, 3 ORDER BY 2, 3, 1
      ON CONFLICT (device_id, sensor, bucket) DO UPDATE SET
        count = a.count + EXCLUDED.count,
        sum = a.sum + EXCLUDED.sum,
        min = LEAST(a.min, EXCLUDED.min),
        max = GREATEST(a.max, EXCLUDED.max);
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER telemetry_sensor_values_rollup AFTER INSERT ON telemetry_sensor_values
      REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION zenthos_sensor_rollup();
  END IF;
END
$do$;

-- The same query surface as before (bucket, device_id, sensor, count, avg, min, max), now with a
-- row for every sensor.
CREATE OR REPLACE VIEW telemetry_1m AS
SELECT bucket, device_id, sensor, count, sum / count AS avg, min, max FROM telemetry_sensor_agg_1m;

CREATE OR REPLACE VIEW telemetry_1h AS
SELECT bucket, device_id, sensor, count, sum / count AS avg, min, max FROM telemetry_sensor_agg_1h;

-- The temperature/humidity rollups of 0100 have no reader left: stop maintaining them.
DO $do$
BEGIN
  IF zenthos_timescale_enabled() THEN
    DROP MATERIALIZED VIEW telemetry_agg_1m;
    DROP MATERIALIZED VIEW telemetry_agg_1h;
  ELSE
    DROP TRIGGER telemetry_raw_rollup ON telemetry_raw;
    DROP FUNCTION zenthos_telemetry_rollup();
    DROP TABLE telemetry_agg_1m, telemetry_agg_1h;
  END IF;
END
$do$;

-- Backfill from the stored payloads, bounded to the last 3 days (the widest refresh window of
-- the continuous aggregates above, so both paths show the same history): older raw rows stay
-- in telemetry_raw but are not rolled up again. ON CONFLICT: a sink already writing this table
-- may have stored some of these rows.
INSERT INTO telemetry_sensor_values (time, message_id, device_id, sensor, value)
SELECT t.time, t.message_id, t.device_id, s.key, s.value::DOUBLE PRECISION
FROM telemetry_raw t
CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(t.payload -> 'sensors') = 'object' THEN t.payload -> 'sensors' END) AS s
WHERE t.time >= now() - INTERVAL '3 days' AND jsonb_typeof(s.value) = 'number'
ON CONFLICT DO NOTHING;

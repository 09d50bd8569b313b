-- Time series written by connectors/timescale-sink (spec §6): telemetry, inference results,
-- device status and device logs. Two storage paths behind one SQL surface:
--   * with the timescaledb extension: hypertables, compression and retention policies, and
--     continuous aggregates for the 1 minute and 1 hour rollups;
--   * on plain PostgreSQL (managed services): native range partitioning by day, retention by
--     dropping whole partitions, and rollup tables kept current inside the writing transaction.
-- Either way the tables, the unique keys and the views telemetry_1m / telemetry_1h look the same,
-- so queries never care which path is in use. Unique keys include the time column because
-- Timescale (and PostgreSQL partitioning) refuse a unique index without the partitioning column.

-- Which path this database uses; every function below branches on it.
CREATE OR REPLACE FUNCTION zenthos_timescale_enabled() RETURNS BOOLEAN
LANGUAGE sql STABLE AS $fn$
  SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
$fn$;

-- Retention and compression per time-series table. The sink applies its configuration through
-- zenthos_configure_timeseries() at start-up; these rows are the defaults until then.
CREATE TABLE timeseries_settings (
  table_name TEXT PRIMARY KEY,
  retention INTERVAL,
  compress_after INTERVAL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO timeseries_settings (table_name, retention, compress_after) VALUES
  ('telemetry_raw', INTERVAL '90 days', INTERVAL '7 days'),
  ('inference_results', INTERVAL '90 days', INTERVAL '7 days'),
  ('device_status', INTERVAL '90 days', INTERVAL '7 days'),
  ('device_logs', INTERVAL '30 days', INTERVAL '7 days');

DO $do$
DECLARE
  -- Column lists shared by both paths; only the storage clause differs.
  defs CONSTANT TEXT[][] := ARRAY[
    ARRAY['telemetry_raw', $cols$
      time TIMESTAMPTZ NOT NULL,
      message_id UUID NOT NULL,
      device_id TEXT NOT NULL,
      device_model TEXT,
      payload JSONB,
      temperature DOUBLE PRECISION,
      humidity DOUBLE PRECISION,
      ingest_ts TIMESTAMPTZ,
      UNIQUE (message_id, time)
    $cols$],
    ARRAY['inference_results', $cols$
      time TIMESTAMPTZ NOT NULL,
      message_id UUID NOT NULL,
      device_id TEXT,
      device_model TEXT,
      model_version TEXT,
      label TEXT,
      result JSONB,
      confidence DOUBLE PRECISION,
      latency_ms DOUBLE PRECISION,
      ingest_ts TIMESTAMPTZ,
      UNIQUE (message_id, time)
    $cols$],
    ARRAY['device_status', $cols$
      time TIMESTAMPTZ NOT NULL,
      message_id UUID NOT NULL,
      device_id TEXT NOT NULL,
      device_model TEXT,
      state TEXT NOT NULL,
      firmware_version TEXT,
      model_version TEXT,
      uptime_s BIGINT,
      rssi_dbm INTEGER,
      free_heap_bytes BIGINT,
      ota JSONB,
      ingest_ts TIMESTAMPTZ,
      UNIQUE (message_id, time)
    $cols$],
    ARRAY['device_logs', $cols$
      time TIMESTAMPTZ NOT NULL,
      message_id UUID NOT NULL,
      device_id TEXT NOT NULL,
      device_model TEXT,
      level TEXT NOT NULL,
      message TEXT NOT NULL,
      component TEXT,
      attributes JSONB,
      firmware_version TEXT,
      ingest_ts TIMESTAMPTZ,
      UNIQUE (message_id, time)
    $cols$]
  ];
  d TEXT[];
BEGIN
  FOREACH d SLICE 1 IN ARRAY defs LOOP
    IF zenthos_timescale_enabled() THEN
      EXECUTE format('CREATE TABLE %I (%s)', d[1], d[2]);
      PERFORM create_hypertable(d[1], 'time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
      EXECUTE format(
        'ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_orderby = %L, timescaledb.compress_segmentby = %L)',
        d[1], 'time DESC, message_id', 'device_id');
    ELSE
      EXECUTE format('CREATE TABLE %I (%s) PARTITION BY RANGE (time)', d[1], d[2]);
    END IF;
    EXECUTE format('CREATE INDEX %I ON %I (device_id, time DESC)', d[1] || '_device_time_idx', d[1]);
  END LOOP;
END
$do$;

-- Daily partitions on the plain path: `<table>_pYYYYMMDD` holding [day, day + 1). Created ahead
-- by migrations and the sink, and on demand for the days of each batch. A no-op on Timescale,
-- which creates chunks itself.
CREATE OR REPLACE FUNCTION zenthos_ensure_partitions(p_table TEXT, p_from TIMESTAMPTZ, p_days INTEGER)
RETURNS INTEGER LANGUAGE plpgsql AS $fn$
DECLARE
  day DATE;
  part TEXT;
  created INTEGER := 0;
BEGIN
  IF zenthos_timescale_enabled() THEN
    RETURN 0;
  END IF;
  FOR i IN 0 .. GREATEST(p_days, 1) - 1 LOOP
    day := (p_from AT TIME ZONE 'UTC')::DATE + i;
    part := format('%s_p%s', p_table, to_char(day, 'YYYYMMDD'));
    IF to_regclass(quote_ident(part)) IS NULL THEN
      EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
        part, p_table, (day::TIMESTAMP AT TIME ZONE 'UTC'), ((day + 1)::TIMESTAMP AT TIME ZONE 'UTC'));
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END
$fn$;

-- Plain-path retention: drops the daily partitions that end before now() - retention, which is
-- as cheap as Timescale's drop_chunks (no row-by-row DELETE). Returns the dropped partitions.
CREATE OR REPLACE FUNCTION zenthos_drop_expired_partitions(p_now TIMESTAMPTZ DEFAULT now())
RETURNS SETOF TEXT LANGUAGE plpgsql AS $fn$
DECLARE
  s RECORD;
  part RECORD;
  day DATE;
BEGIN
  IF zenthos_timescale_enabled() THEN
    RETURN;
  END IF;
  FOR s IN SELECT table_name, retention FROM timeseries_settings WHERE retention IS NOT NULL LOOP
    FOR part IN
      SELECT c.relname
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass(quote_ident(s.table_name))
        AND c.relname ~ ('^' || s.table_name || '_p[0-9]{8}$')
    LOOP
      day := to_date(right(part.relname, 8), 'YYYYMMDD');
      IF ((day + 1)::TIMESTAMP AT TIME ZONE 'UTC') <= p_now - s.retention THEN
        EXECUTE format('DROP TABLE %I', part.relname);
        RETURN NEXT part.relname;
      END IF;
    END LOOP;
  END LOOP;
END
$fn$;

-- Applies a retention and compression setting to one table: Timescale policies on that path,
-- the settings row (read by zenthos_drop_expired_partitions) on both. NULL = keep forever /
-- never compress.
CREATE OR REPLACE FUNCTION zenthos_configure_timeseries(p_table TEXT, p_retention INTERVAL, p_compress_after INTERVAL)
RETURNS VOID LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO timeseries_settings (table_name, retention, compress_after, updated_at)
  VALUES (p_table, p_retention, p_compress_after, now())
  ON CONFLICT (table_name) DO UPDATE
    SET retention = EXCLUDED.retention, compress_after = EXCLUDED.compress_after, updated_at = now();
  IF zenthos_timescale_enabled() THEN
    -- Timescale keeps one policy of each kind per hypertable: replace, never stack.
    EXECUTE 'SELECT remove_retention_policy($1, if_exists => TRUE)' USING p_table::REGCLASS;
    IF p_retention IS NOT NULL THEN
      EXECUTE 'SELECT add_retention_policy($1, drop_after => $2)' USING p_table::REGCLASS, p_retention;
    END IF;
    EXECUTE 'SELECT remove_compression_policy($1, if_exists => TRUE)' USING p_table::REGCLASS;
    IF p_compress_after IS NOT NULL THEN
      EXECUTE 'SELECT add_compression_policy($1, compress_after => $2)' USING p_table::REGCLASS, p_compress_after;
    END IF;
  END IF;
END
$fn$;

-- Rollups of telemetry per device and sensor: count, sum, min and max per bucket, so that
-- averages of larger buckets stay exact (sum / count, never an average of averages).
DO $do$
DECLARE
  b RECORD;
BEGIN
  FOR b IN SELECT * FROM (VALUES ('telemetry_agg_1m', '1 minute', '3 hours', '1 minute', '1 minute'),
                                 ('telemetry_agg_1h', '1 hour', '3 days', '1 hour', '30 minutes'))
           AS v(name, width, start_offset, end_offset, schedule) LOOP
    IF zenthos_timescale_enabled() THEN
      -- Real-time aggregates (materialized_only = false) add the not yet materialized raw rows,
      -- so the view is as current as the plain path's rollup tables. WITH NO DATA: the
      -- migration runs inside a transaction, where a continuous aggregate cannot be filled.
      EXECUTE format($sql$
        CREATE MATERIALIZED VIEW %I
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        SELECT time_bucket(INTERVAL %L, time) AS bucket,
               device_id,
               count(temperature) AS temperature_count,
               sum(temperature) AS temperature_sum,
               min(temperature) AS temperature_min,
               max(temperature) AS temperature_max,
               count(humidity) AS humidity_count,
               sum(humidity) AS humidity_sum,
               min(humidity) AS humidity_min,
               max(humidity) AS humidity_max
        FROM telemetry_raw
        GROUP BY bucket, device_id
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
          temperature_count BIGINT NOT NULL DEFAULT 0,
          temperature_sum DOUBLE PRECISION,
          temperature_min DOUBLE PRECISION,
          temperature_max DOUBLE PRECISION,
          humidity_count BIGINT NOT NULL DEFAULT 0,
          humidity_sum DOUBLE PRECISION,
          humidity_min DOUBLE PRECISION,
          humidity_max DOUBLE PRECISION,
          PRIMARY KEY (device_id, bucket)
        )
      $sql$, b.name);
    END IF;
  END LOOP;

  IF NOT zenthos_timescale_enabled() THEN
    -- The statement trigger sees only the rows the INSERT really added (ON CONFLICT DO NOTHING
    -- leaves duplicates out of the transition table), so a redelivered batch never counts twice,
    -- and the rollups commit or roll back with the rows they summarise.
    CREATE FUNCTION zenthos_telemetry_rollup() RETURNS TRIGGER LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO telemetry_agg_1m AS a
      SELECT date_trunc('minute', time), device_id,
             count(temperature), sum(temperature), min(temperature), max(temperature),
             count(humidity), sum(humidity), min(humidity), max(humidity)
      FROM inserted GROUP BY 1, 2 ORDER BY 2, 1
      ON CONFLICT (device_id, bucket) DO UPDATE SET
        temperature_count = a.temperature_count + EXCLUDED.temperature_count,
        temperature_sum = CASE WHEN EXCLUDED.temperature_count = 0 THEN a.temperature_sum
                               ELSE coalesce(a.temperature_sum, 0) + EXCLUDED.temperature_sum END,
        temperature_min = LEAST(a.temperature_min, EXCLUDED.temperature_min),
        temperature_max = GREATEST(a.temperature_max, EXCLUDED.temperature_max),
        humidity_count = a.humidity_count + EXCLUDED.humidity_count,
        humidity_sum = CASE WHEN EXCLUDED.humidity_count = 0 THEN a.humidity_sum
                            ELSE coalesce(a.humidity_sum, 0) + EXCLUDED.humidity_sum END,
        humidity_min = LEAST(a.humidity_min, EXCLUDED.humidity_min),
        humidity_max = GREATEST(a.humidity_max, EXCLUDED.humidity_max);
      INSERT INTO telemetry_agg_1h AS a
      SELECT date_trunc('hour', time), device_id,
             count(temperature), sum(temperature), min(temperature), max(temperature),
             count(humidity), sum(humidity), min(humidity), max(humidity)
      FROM inserted GROUP BY 1, 2 ORDER BY 2, 1
      ON CONFLICT (device_id, bucket) DO UPDATE SET
        temperature_count = a.temperature_count + EXCLUDED.temperature_count,
        temperature_sum = CASE WHEN EXCLUDED.temperature_count = 0 THEN a.temperature_sum
                               ELSE coalesce(a.temperature_sum, 0) + EXCLUDED.temperature_sum END,
        temperature_min = LEAST(a.temperature_min, EXCLUDED.temperature_min),
        temperature_max = GREATEST(a.temperature_max, EXCLUDED.temperature_max),
        humidity_count = a.humidity_count + EXCLUDED.humidity_count,
        humidity_sum = CASE WHEN EXCLUDED.humidity_count = 0 THEN a.humidity_sum
                            ELSE coalesce(a.humidity_sum, 0) + EXCLUDED.humidity_sum END,
        humidity_min = LEAST(a.humidity_min, EXCLUDED.humidity_min),
        humidity_max = GREATEST(a.humidity_max, EXCLUDED.humidity_max);
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER telemetry_raw_rollup AFTER INSERT ON telemetry_raw
      REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION zenthos_telemetry_rollup();
  END IF;
END
$do$;

-- The one query surface of the rollups, the same on both paths: one row per bucket, device and
-- sensor.
CREATE VIEW telemetry_1m AS
SELECT a.bucket, a.device_id, s.sensor, s.count, s.sum / s.count AS avg, s.min, s.max
FROM telemetry_agg_1m a
CROSS JOIN LATERAL (VALUES
  ('temperature', a.temperature_count, a.temperature_sum, a.temperature_min, a.temperature_max),
  ('humidity', a.humidity_count, a.humidity_sum, a.humidity_min, a.humidity_max)
) AS s (sensor, count, sum, min, max)
WHERE s.count > 0;

CREATE VIEW telemetry_1h AS
SELECT a.bucket, a.device_id, s.sensor, s.count, s.sum / s.count AS avg, s.min, s.max
FROM telemetry_agg_1h a
CROSS JOIN LATERAL (VALUES
  ('temperature', a.temperature_count, a.temperature_sum, a.temperature_min, a.temperature_max),
  ('humidity', a.humidity_count, a.humidity_sum, a.humidity_min, a.humidity_max)
) AS s (sensor, count, sum, min, max)
WHERE s.count > 0;

-- Partitions for yesterday through a week ahead, so the first writes never wait for DDL.
SELECT zenthos_ensure_partitions(t, now() - INTERVAL '1 day', 9)
FROM unnest(ARRAY['telemetry_raw', 'inference_results', 'device_status', 'device_logs']) AS t;

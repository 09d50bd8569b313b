-- Threshold alerts (spec §3 workers: alerts), managed with `zenthos alerts rules add|list|remove`
-- and evaluated by `zenthos run alerts` on the RabbitMQ sensor_data queue.

-- A rule fires when a reading of `sensor` from a device of `device_model` ('*' = any model)
-- compares to `threshold` with `op`. At most one alert per rule, device and window of
-- `window_s` seconds: a breach that goes on does not page again until the next window.
CREATE TABLE alert_rules (
  id BIGSERIAL PRIMARY KEY,
  device_model TEXT NOT NULL,
  sensor TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('>', '>=', '<', '<=')),
  threshold DOUBLE PRECISION NOT NULL,
  window_s INTEGER NOT NULL DEFAULT 300 CHECK (window_s > 0),
  severity TEXT NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (device_model, sensor, op, threshold)
);

-- One row per fired alert. The unique key makes a redelivered reading (RabbitMQ is
-- at-least-once) a no-op; published_at is set once the alert envelope is confirmed by RabbitMQ,
-- so an alert written but not yet published is published on the next delivery.
CREATE TABLE alerts (
  id UUID PRIMARY KEY,
  rule_id BIGINT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  device_model TEXT NOT NULL,
  sensor TEXT NOT NULL,
  op TEXT NOT NULL,
  threshold DOUBLE PRECISION NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  severity TEXT NOT NULL,
  message_id UUID NOT NULL,
  time TIMESTAMPTZ NOT NULL,
  window_start TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  published_at TIMESTAMPTZ,
  UNIQUE (rule_id, device_id, window_start)
);
CREATE INDEX alerts_device_time_idx ON alerts (device_id, time DESC);

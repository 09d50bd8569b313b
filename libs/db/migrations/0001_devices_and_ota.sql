-- Device registry (spec §6), plus what device credentials and rollouts need.
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  owner TEXT,
  created_at TIMESTAMPTZ DEFAULT now(),
  last_seen TIMESTAMPTZ,
  firmware_version TEXT,
  model_version TEXT,
  metadata JSONB
);
ALTER TABLE devices ADD COLUMN IF NOT EXISTS tags TEXT[] NOT NULL DEFAULT '{}';
-- A revoked device keeps its history but no credential of it is accepted any more.
ALTER TABLE devices ADD COLUMN IF NOT EXISTS revoked_at TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS devices_model_idx ON devices (model);
CREATE INDEX IF NOT EXISTS devices_tags_idx ON devices USING GIN (tags);

-- One row per issued device token (its JWT `jti`); revocation is a timestamp, never a delete,
-- so an audit can tell which token was used when.
CREATE TABLE device_credentials (
  id UUID PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  kind TEXT NOT NULL DEFAULT 'jwt' CHECK (kind IN ('jwt', 'x509')),
  key_id TEXT,
  issued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
);
CREATE INDEX device_credentials_device_idx ON device_credentials (device_id);

-- Public halves of the ed25519 keys that sign releases. Private keys never enter the database.
CREATE TABLE signing_keys (
  key_id TEXT PRIMARY KEY,
  algorithm TEXT NOT NULL DEFAULT 'ed25519',
  public_key_pem TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at TIMESTAMPTZ
);

-- Firmware releases (spec §6) plus the signed manifest and its parts.
CREATE TABLE IF NOT EXISTS firmware_releases (
  device_model TEXT NOT NULL,
  version TEXT NOT NULL,
  binary_url TEXT NOT NULL,
  sha256 TEXT,
  signature TEXT,
  release_notes TEXT,
  uploaded_at TIMESTAMPTZ DEFAULT now(),
  PRIMARY KEY (device_model, version)
);
ALTER TABLE firmware_releases
  ADD COLUMN IF NOT EXISTS kind TEXT NOT NULL DEFAULT 'firmware' CHECK (kind = 'firmware'),
  ADD COLUMN IF NOT EXISTS size BIGINT,
  ADD COLUMN IF NOT EXISTS key_id TEXT REFERENCES signing_keys (key_id),
  -- The exact canonical bytes that were signed (TEXT, not JSONB, which would reorder keys).
  ADD COLUMN IF NOT EXISTS manifest TEXT,
  ADD COLUMN IF NOT EXISTS storage_key TEXT,
  ADD COLUMN IF NOT EXISTS source TEXT NOT NULL DEFAULT 'upload',
  ADD COLUMN IF NOT EXISTS yanked_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS yank_reason TEXT;
CREATE INDEX IF NOT EXISTS firmware_releases_model_uploaded_idx ON firmware_releases (device_model, uploaded_at DESC);

-- ML model releases: the same shape, versions m-YYYYMMDD-<sha>.
CREATE TABLE model_releases (
  device_model TEXT NOT NULL,
  version TEXT NOT NULL,
  binary_url TEXT NOT NULL,
  sha256 TEXT,
  signature TEXT,
  release_notes TEXT,
  uploaded_at TIMESTAMPTZ DEFAULT now(),
  kind TEXT NOT NULL DEFAULT 'model' CHECK (kind = 'model'),
  size BIGINT,
  key_id TEXT REFERENCES signing_keys (key_id),
  manifest TEXT,
  storage_key TEXT,
  source TEXT NOT NULL DEFAULT 'upload',
  yanked_at TIMESTAMPTZ,
  yank_reason TEXT,
  PRIMARY KEY (device_model, version)
);
CREATE INDEX model_releases_model_uploaded_idx ON model_releases (device_model, uploaded_at DESC);

-- Bearer tokens of the management API; only a hash is stored.
CREATE TABLE api_tokens (
  id UUID PRIMARY KEY,
  name TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  scopes TEXT[] NOT NULL CHECK (scopes <@ ARRAY['read', 'publish', 'rollback']::TEXT[]),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
);

-- Staged rollouts of one release to a cohort of devices.
CREATE TABLE rollouts (
  id UUID PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('firmware', 'model')),
  device_model TEXT NOT NULL,
  version TEXT NOT NULL,
  cohort JSONB NOT NULL,
  stages JSONB NOT NULL,
  current_stage INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'aborted', 'completed')),
  status_reason TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- At most one unfinished rollout per model and kind: two would fight over `latest`.
CREATE UNIQUE INDEX rollouts_one_open_idx ON rollouts (kind, device_model) WHERE status IN ('active', 'paused');
CREATE INDEX rollouts_release_idx ON rollouts (kind, device_model, version);

-- Per-device OTA state inside a rollout (spec §11).
CREATE TABLE rollout_devices (
  rollout_id UUID NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  stage INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('downloading', 'installed', 'failed', 'rolled_back')),
  detail TEXT,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX rollout_devices_stage_idx ON rollout_devices (rollout_id, stage, state);

-- GitHub webhook deliveries: the id makes a redelivery a no-op, the row shows the outcome.
CREATE TABLE webhook_deliveries (
  delivery_id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  action TEXT,
  status TEXT NOT NULL CHECK (status IN ('processing', 'done', 'failed', 'ignored')),
  detail JSONB,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at TIMESTAMPTZ
);

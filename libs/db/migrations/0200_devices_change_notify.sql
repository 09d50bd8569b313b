-- Stream processors cache device registry rows (streams/, enrich). Every change that matters to
-- enrichment is announced on the channel `zenthos_devices` with the device id as payload, so
-- caches drop exactly that entry (Postgres LISTEN/NOTIFY; notifications are sent at commit).
CREATE OR REPLACE FUNCTION zenthos_devices_notify() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('zenthos_devices', OLD.id);
  ELSE
    PERFORM pg_notify('zenthos_devices', NEW.id);
    IF TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id THEN
      PERFORM pg_notify('zenthos_devices', OLD.id);
    END IF;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS devices_notify_insert_delete ON devices;
CREATE TRIGGER devices_notify_insert_delete AFTER INSERT OR DELETE ON devices
  FOR EACH ROW EXECUTE FUNCTION zenthos_devices_notify();

-- Updates of last_seen / firmware_version / model_version (written by the processors themselves
-- in batches) do not change enrichment, so they do not notify: that would empty the cache as
-- fast as it fills.
DROP TRIGGER IF EXISTS devices_notify_update ON devices;
CREATE TRIGGER devices_notify_update AFTER UPDATE ON devices
  FOR EACH ROW
  WHEN (
    OLD.id IS DISTINCT FROM NEW.id
    OR OLD.model IS DISTINCT FROM NEW.model
    OR OLD.owner IS DISTINCT FROM NEW.owner
    OR OLD.metadata IS DISTINCT FROM NEW.metadata
    OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
  )
  EXECUTE FUNCTION zenthos_devices_notify();

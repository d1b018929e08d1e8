-- A foreign key checks every inserted row on its own: one key-share lock of the bucket's row (and
-- for replica_objects the storage's) per object, ~10 µs a row in the embedded database — a third
-- of what indexing a bucket cost. The rows of one bucket are written in batches of thousands by
-- one statement, which now takes that lock once (db/objects.ts, db/replica-objects.ts: the
-- INSERT ... WHERE EXISTS (... FOR KEY SHARE)), so a bucket or storage deleted meanwhile waits
-- for the batch and then takes its rows with it, as the cascade did.
ALTER TABLE objects DROP CONSTRAINT objects_bucket_id_fkey;
ALTER TABLE replica_objects DROP CONSTRAINT replica_objects_bucket_id_fkey;
ALTER TABLE replica_objects DROP CONSTRAINT replica_objects_storage_id_fkey;

-- The cascades, once per statement.
CREATE FUNCTION fado_buckets_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM objects WHERE bucket_id IN (SELECT bucket_id FROM old_rows);
  DELETE FROM replica_objects WHERE bucket_id IN (SELECT bucket_id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER buckets_deleted AFTER DELETE ON buckets
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION fado_buckets_deleted();

CREATE FUNCTION fado_storage_deployments_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM replica_objects WHERE storage_id IN (SELECT storage_id FROM old_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER storage_deployments_deleted AFTER DELETE ON storage_deployments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION fado_storage_deployments_deleted();

-- Rows a bucket or storage left behind before this migration could not exist (the keys held).

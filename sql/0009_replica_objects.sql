-- What FaDO copied to each replica (issue 13): per object, the master version it copied (ETag,
-- size, mtime) and the ETag the replica server gave its copy (NULL until first listed: a batch
-- upload does not answer one per object). ETags are not comparable across servers nor for
-- multipart objects, so "in sync" is decided from this record: the master still has what was
-- copied, and the replica still has what FaDO wrote. A replica object that differs from its record,
-- or that FaDO never wrote, was changed behind FaDO's back: it is repaired and counted.
CREATE TABLE replica_objects (
  bucket_id    int         NOT NULL REFERENCES buckets ON DELETE CASCADE,
  storage_id   int         NOT NULL REFERENCES storage_deployments ON DELETE CASCADE,
  name         text        NOT NULL,
  source_etag  text        NOT NULL,
  source_size  bigint      NOT NULL,
  source_mtime timestamptz NOT NULL,
  replica_etag text,
  copied_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bucket_id, storage_id, name)
);
CREATE INDEX replica_objects_key_order ON replica_objects (bucket_id, storage_id, name COLLATE "C");

ALTER TABLE replica_bucket_locations
  ADD COLUMN repaired_objects bigint NOT NULL DEFAULT 0,
  ADD COLUMN last_repair_at   timestamptz;

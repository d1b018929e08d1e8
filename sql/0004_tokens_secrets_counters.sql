-- Least privilege and scale (issue 11):
-- * API tokens with a scope, stored as SHA-256 hashes (the secret is shown once, at creation);
-- * facts about this database: its lineage (a random identity, so edges can tell a restored or
--   reset database from the one they knew) and the fingerprint of the key that encrypts storage
--   secrets (so a control with another key refuses to start instead of failing later);
-- * per-bucket object counts and bytes, kept by statement-level triggers, so listing buckets
--   never scans objects.

CREATE TABLE api_tokens (
  token_id     serial      PRIMARY KEY,
  name         text        NOT NULL UNIQUE,
  scope        text        NOT NULL CHECK (scope IN ('admin', 'edge', 'notify', 'metrics')),
  token_hash   text        NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);

CREATE TABLE fado_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO fado_meta (key, value) VALUES ('lineage', gen_random_uuid()::text);

ALTER TABLE buckets
  ADD COLUMN object_count bigint NOT NULL DEFAULT 0,
  ADD COLUMN total_bytes  bigint NOT NULL DEFAULT 0;

UPDATE buckets b SET object_count = s.n, total_bytes = s.bytes
FROM (SELECT bucket_id, count(*) AS n, COALESCE(sum(size), 0) AS bytes FROM objects GROUP BY bucket_id) s
WHERE s.bucket_id = b.bucket_id;

CREATE FUNCTION fado_objects_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE buckets b SET object_count = b.object_count + d.n, total_bytes = b.total_bytes + d.bytes
  FROM (SELECT bucket_id, count(*) AS n, COALESCE(sum(size), 0) AS bytes FROM new_rows GROUP BY bucket_id) d
  WHERE b.bucket_id = d.bucket_id;
  RETURN NULL;
END $$;

CREATE FUNCTION fado_objects_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE buckets b SET total_bytes = b.total_bytes + d.bytes
  FROM (SELECT n.bucket_id, sum(n.size - o.size) AS bytes
        FROM new_rows n JOIN old_rows o ON o.object_id = n.object_id GROUP BY n.bucket_id) d
  WHERE b.bucket_id = d.bucket_id AND d.bytes <> 0;
  RETURN NULL;
END $$;

CREATE FUNCTION fado_objects_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE buckets b SET object_count = b.object_count - d.n, total_bytes = b.total_bytes - d.bytes
  FROM (SELECT bucket_id, count(*) AS n, COALESCE(sum(size), 0) AS bytes FROM old_rows GROUP BY bucket_id) d
  WHERE b.bucket_id = d.bucket_id;
  RETURN NULL;
END $$;

CREATE TRIGGER objects_inserted AFTER INSERT ON objects
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION fado_objects_inserted();
CREATE TRIGGER objects_updated AFTER UPDATE ON objects
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION fado_objects_updated();
CREATE TRIGGER objects_deleted AFTER DELETE ON objects
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION fado_objects_deleted();

-- Range digests (control/replication/digest.ts): each row's share of the digest of its key range,
-- the first 60 bits of the MD5 of its line, computed by the database whenever the row is written.
-- A full pass over an unchanged bucket then sums them per listing page instead of reading the
-- rows. The line's format is digest.ts's; a test holds the two to each other.
ALTER TABLE objects ADD COLUMN line_hash bigint GENERATED ALWAYS AS (
  ('x' || substr(md5(octet_length(name)::text || ':' || name || ':' || size::text || ':' || etag), 1, 15))::bit(60)::bigint
) STORED;

ALTER TABLE replica_objects ADD COLUMN line_hash bigint GENERATED ALWAYS AS (
  ('x' || substr(md5(octet_length(name)::text || ':' || name || ':' || source_size::text || ':' || source_etag
    || ':' || coalesce(replica_etag, '~')), 1, 15))::bit(60)::bigint
) STORED;

-- Objects are compared with storage listings, which come in S3 key order (UTF-8 byte order).
-- The "C" collation orders text by its bytes, which for UTF-8 is that order; this index lets the
-- object index page through a bucket in it without sorting the whole bucket for every page.
CREATE INDEX objects_bucket_key_order ON objects (bucket_id, name COLLATE "C");

-- Storage adaptors (issue 13): how FaDO addresses an S3 server. `region` signs requests (AWS S3 and
-- servers with a region configured refuse other regions); `addressing` is 'path'
-- (host/bucket/key, what MinIO and most self-hosted servers expect) or 'virtual'
-- (bucket.host/key, what AWS S3 prefers and some servers require).
ALTER TABLE storage_deployments
  ADD COLUMN region     text NOT NULL DEFAULT 'us-east-1',
  ADD COLUMN addressing text NOT NULL DEFAULT 'path' CHECK (addressing IN ('path', 'virtual'));

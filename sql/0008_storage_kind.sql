-- Storage adaptors (issue 13): a deployment is 'minio' (admin API for identity, webhooks, the
-- event stream, snowball batches) or 's3' (any S3-compatible server: plain S3 calls only; its
-- identity is a marker object FaDO writes there).
ALTER TABLE storage_deployments
  ADD COLUMN kind text NOT NULL DEFAULT 'minio' CHECK (kind IN ('minio', 's3'));

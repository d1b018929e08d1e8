-- What the TypeScript design adds to the thesis schema:
-- * replicas carry a sync status, so routes only list clusters holding a synced copy;
-- * objects carry size / etag / last_modified, so listings and bucket diffs need no storage call;
-- * storage deployments no longer need a webhook ARN (FaDO listens to MinIO's event stream);
-- * route snapshots are versioned: the version only grows, and each one is kept for audit.

ALTER TABLE storage_deployments ALTER COLUMN sqs_arn SET DEFAULT '';

ALTER TABLE replica_bucket_locations
  ADD COLUMN status     text        NOT NULL DEFAULT 'syncing'
    CHECK (status IN ('syncing', 'synced', 'error')),
  ADD COLUMN error      text,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

ALTER TABLE objects
  ADD COLUMN size          bigint      NOT NULL DEFAULT 0,
  ADD COLUMN etag          text        NOT NULL DEFAULT '',
  ADD COLUMN last_modified timestamptz NOT NULL DEFAULT now();

-- Clusters of each bucket that can serve invocations: the master's, and each synced replica's.
CREATE VIEW bucket_serving_clusters AS
  SELECT b.bucket_id, b.name AS bucket_name, sd.cluster_id
  FROM buckets b JOIN storage_deployments sd ON sd.storage_id = b.storage_id
  UNION
  SELECT b.bucket_id, b.name AS bucket_name, sd.cluster_id
  FROM buckets b
    JOIN replica_bucket_locations rbl ON rbl.bucket_id = b.bucket_id AND rbl.status = 'synced'
    JOIN storage_deployments sd ON sd.storage_id = rbl.storage_id;

CREATE TABLE route_snapshots (
  version      bigint      PRIMARY KEY CHECK (version > 0),
  generated_at timestamptz NOT NULL DEFAULT now(),
  snapshot     jsonb       NOT NULL
);

-- The thesis kept Caddy's generated configuration in policy rows; the edge compiles routes from
-- the tables above instead, so those rows are no longer read.
DELETE FROM policies WHERE name IN ('caddy_config', 'lb_upstreams', 'lb_routes');

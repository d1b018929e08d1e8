-- FaDO schema as specified in the thesis, appendix A (tables A.1, views A.2, initial data A.3).
-- Never edit a migration once merged: evolve the schema in a new numbered file.

CREATE TABLE policies (
  policy_id     serial PRIMARY KEY,
  name          text   NOT NULL UNIQUE,
  default_value jsonb  NOT NULL
);

CREATE TABLE global_policies (
  policy_id serial NOT NULL UNIQUE REFERENCES policies ON DELETE CASCADE,
  value     jsonb  NOT NULL
);

CREATE TABLE clusters (
  cluster_id serial PRIMARY KEY,
  name       text   NOT NULL UNIQUE
);

CREATE TABLE clusters_policies (
  cluster_id int   NOT NULL REFERENCES clusters ON DELETE CASCADE,
  policy_id  int   NOT NULL REFERENCES policies ON DELETE CASCADE,
  value      jsonb NOT NULL,
  UNIQUE (cluster_id, policy_id)
);

CREATE TABLE faas_deployments (
  faas_id    serial PRIMARY KEY,
  cluster_id int    NOT NULL REFERENCES clusters ON DELETE CASCADE,
  url        text   NOT NULL UNIQUE
);

CREATE TABLE storage_deployments (
  storage_id          serial  PRIMARY KEY,
  cluster_id          int     NOT NULL REFERENCES clusters ON DELETE CASCADE,
  minio_deployment_id text    NOT NULL UNIQUE,
  alias               text    NOT NULL UNIQUE,
  endpoint            text    NOT NULL UNIQUE,
  access_key          text    NOT NULL,
  secret_key          text    NOT NULL,
  use_ssl             boolean NOT NULL,
  sqs_arn             text    NOT NULL,
  management_url      text    NOT NULL DEFAULT ''
);

CREATE TABLE buckets (
  bucket_id  serial PRIMARY KEY,
  storage_id int    NOT NULL REFERENCES storage_deployments ON DELETE CASCADE,
  name       text   NOT NULL UNIQUE
);

CREATE TABLE buckets_policies (
  bucket_id int   NOT NULL REFERENCES buckets ON DELETE CASCADE,
  policy_id int   NOT NULL REFERENCES policies ON DELETE CASCADE,
  value     jsonb NOT NULL,
  UNIQUE (bucket_id, policy_id)
);

CREATE TABLE replica_bucket_locations (
  bucket_id  int NOT NULL REFERENCES buckets ON DELETE CASCADE,
  storage_id int NOT NULL REFERENCES storage_deployments ON DELETE CASCADE,
  UNIQUE (bucket_id, storage_id)
);

CREATE TABLE objects (
  object_id serial PRIMARY KEY,
  bucket_id int    NOT NULL REFERENCES buckets ON DELETE CASCADE,
  name      text   NOT NULL,
  UNIQUE (bucket_id, name)
);

CREATE VIEW buckets_faas_deployments AS
  SELECT x.bucket_id, x.bucket_name, array_agg(x.faas_id) AS faas_ids,
         array_agg(x.faas_url) AS faas_urls
  FROM (
    SELECT b.bucket_id, b.name AS bucket_name, fd.faas_id, fd.url AS faas_url
    FROM buckets b
      INNER JOIN replica_bucket_locations rbl ON rbl.bucket_id = b.bucket_id
      LEFT JOIN storage_deployments sd ON sd.storage_id = rbl.storage_id
      LEFT JOIN clusters c ON c.cluster_id = sd.cluster_id
      LEFT JOIN faas_deployments fd ON fd.cluster_id = c.cluster_id
    UNION
    SELECT b.bucket_id, b.name AS bucket_name, fd.faas_id, fd.url AS faas_url
    FROM buckets b
      LEFT JOIN storage_deployments sd ON sd.storage_id = b.storage_id
      LEFT JOIN clusters c ON c.cluster_id = sd.cluster_id
      LEFT JOIN faas_deployments fd ON fd.cluster_id = c.cluster_id
  ) AS x GROUP BY x.bucket_id, x.bucket_name;

CREATE VIEW existing_bucket_locations AS
  SELECT bucket_id, array_agg(storage_id) AS storage_ids
  FROM replica_bucket_locations
  GROUP BY bucket_id;

CREATE VIEW bucket_replications AS
  SELECT rbl.bucket_id, b.name AS bucket_name,
         b.storage_id AS src_storage_id, src_sd.alias AS src_storage_alias,
         src_sd.minio_deployment_id AS src_minio_deployment_id,
         rbl.storage_id AS dst_storage_id, dst_sd.alias AS dst_storage_alias,
         dst_sd.minio_deployment_id AS dst_minio_deployment_id
  FROM replica_bucket_locations rbl
    LEFT JOIN buckets b ON b.bucket_id = rbl.bucket_id
    LEFT JOIN storage_deployments src_sd ON src_sd.storage_id = b.storage_id
    LEFT JOIN storage_deployments dst_sd ON dst_sd.storage_id = rbl.storage_id;

INSERT INTO policies (name, default_value) VALUES
  ('lb_policy',            '"round_robin"'),
  ('lb_match_header',      '"X-FaDO-Bucket"'),
  ('lb_upstreams',         '[]'),
  ('lb_routes',            '{}'),
  ('lb_route_overrides',   '{}'),
  ('caddy_config',         '""'),
  ('replica_locations',    '[]'),
  ('target_replica_count', '0'),
  ('zones',                '[]');

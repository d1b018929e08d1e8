-- Issue 22: agents next to the storage move the bytes; control hands them leased work.
-- * an `agent` token is tied to one cluster: it can take and report work of that cluster only;
-- * a bucket may require that its bytes never pass through control (data_path 'agents'): its
--   replicas then wait for an agent (status 'waiting', with the reason) instead of falling back;
-- * agents: each running agent process, as it last reported itself;
-- * agent_work: one piece of copy work (one object, or a batch of small ones) for the agents of a
--   cluster — leased to one agent at a time (lease_until, renewed while it runs, re-offered after
--   it lapses; `lease` counts the claims, so a result names the lease it was made under), wanted
--   while the pass that asked for it still waits (wanted_until).

ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scope_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scope_check
  CHECK (scope IN ('admin', 'edge', 'notify', 'metrics', 'agent'));
ALTER TABLE api_tokens ADD COLUMN cluster_id int REFERENCES clusters ON DELETE CASCADE;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_cluster_agent
  CHECK ((scope = 'agent') = (cluster_id IS NOT NULL));

ALTER TABLE buckets ADD COLUMN data_path text NOT NULL DEFAULT 'any'
  CHECK (data_path IN ('any', 'agents'));

ALTER TABLE replica_bucket_locations DROP CONSTRAINT replica_bucket_locations_status_check;
ALTER TABLE replica_bucket_locations ADD CONSTRAINT replica_bucket_locations_status_check
  CHECK (status IN ('syncing', 'synced', 'error', 'waiting'));

CREATE TABLE agents (
  agent_id      text        PRIMARY KEY,
  cluster_id    int         NOT NULL REFERENCES clusters ON DELETE CASCADE,
  token_id      int         REFERENCES api_tokens ON DELETE SET NULL,
  version       text        NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  bytes_moved   bigint      NOT NULL DEFAULT 0,
  objects_moved bigint      NOT NULL DEFAULT 0,
  work_done     bigint      NOT NULL DEFAULT 0,
  work_failed   bigint      NOT NULL DEFAULT 0,
  reports_refused bigint    NOT NULL DEFAULT 0
);

CREATE TABLE agent_work (
  work_id      bigserial   PRIMARY KEY,
  cluster_id   int         NOT NULL REFERENCES clusters ON DELETE CASCADE,
  bucket_id    int         NOT NULL REFERENCES buckets ON DELETE CASCADE,
  master_id    int         NOT NULL REFERENCES storage_deployments ON DELETE CASCADE,
  replica_id   int         NOT NULL REFERENCES storage_deployments ON DELETE CASCADE,
  kind         text        NOT NULL CHECK (kind IN ('copy', 'batch')),
  objects      jsonb       NOT NULL,
  state        text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'leased', 'done', 'failed')),
  agent_id     text,
  lease        int         NOT NULL DEFAULT 0,
  lease_until  timestamptz,
  wanted_until timestamptz NOT NULL,
  upload_id    text,
  result       jsonb,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_work_open ON agent_work (cluster_id, work_id) WHERE state IN ('queued', 'leased');

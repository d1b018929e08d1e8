-- Replicas on demand (issue 24): a bucket may opt in (`demand`, NULL = off) to replicas that the
-- demand planner adds in zones its invocations come from and removes when they go.
-- * demand_replicas: what the planner wants, with why; the replica planner adds these storage
--   deployments to the policy's choice (replica_bucket_locations then holds the copy's state);
--   last_demand_at: the last time the zone's demand was at least half the threshold (the TTL runs
--   from there);
-- * demand_decisions: every addition and removal with its reason, for the bucket's history and the
--   bound on changes an hour.
ALTER TABLE buckets ADD COLUMN demand jsonb;

CREATE TABLE demand_replicas (
  bucket_id      int         NOT NULL REFERENCES buckets ON DELETE CASCADE,
  storage_id     int         NOT NULL REFERENCES storage_deployments ON DELETE CASCADE,
  zone           text        NOT NULL,
  reason         text        NOT NULL,
  added_at       timestamptz NOT NULL DEFAULT now(),
  last_demand_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bucket_id, storage_id)
);
CREATE INDEX demand_replicas_storage ON demand_replicas (storage_id);

CREATE TABLE demand_decisions (
  decision_id serial      PRIMARY KEY,
  bucket_id   int         NOT NULL REFERENCES buckets ON DELETE CASCADE,
  at          timestamptz NOT NULL DEFAULT now(),
  action      text        NOT NULL CHECK (action IN ('add', 'remove')),
  zone        text        NOT NULL,
  storage_id  int,
  reason      text        NOT NULL
);
CREATE INDEX demand_decisions_bucket ON demand_decisions (bucket_id, at);

-- Issue 23. When each replica was last verified by a full pass, how long that pass took for it,
-- and how many objects it compared: an operator can tell when a replica was last checked and how
-- long the next check will take.
ALTER TABLE replica_bucket_locations
  ADD COLUMN last_full_pass_at      timestamptz,
  ADD COLUMN last_full_pass_ms      integer,
  ADD COLUMN last_full_pass_objects bigint;

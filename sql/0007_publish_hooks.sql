-- Snapshot publish hooks (issue 14): every new route snapshot version is pushed to each hook —
-- a signed webhook, or a Cloudflare Workers KV namespace that Workers edges read. Secrets (the
-- webhook's HMAC secret, the Cloudflare API token) are stored sealed, like storage secrets.
CREATE TABLE publish_hooks (
  hook_id          serial      PRIMARY KEY,
  kind             text        NOT NULL CHECK (kind IN ('webhook', 'cloudflare-kv')),
  url              text        NOT NULL DEFAULT '',
  account_id       text        NOT NULL DEFAULT '',
  namespace_id     text        NOT NULL DEFAULT '',
  secret           text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_version int,
  delivered_at     timestamptz,
  attempts         int         NOT NULL DEFAULT 0,
  last_attempt_at  timestamptz,
  last_error       text
);

-- Issue 20. A notify token is tied to the storage deployment it was made for, named by its alias
-- (so an operator can make the token, configure the server with it, then track the server under
-- that alias): records it delivers for any other deployment are refused. FaDO's own webhook
-- tokens (storage-<id>-webhook) are tied to their deployment here.
ALTER TABLE api_tokens ADD COLUMN storage_alias text;
UPDATE api_tokens t SET storage_alias = s.alias
  FROM storage_deployments s
  WHERE t.scope = 'notify' AND t.name = 'storage-' || s.storage_id || '-webhook';
ALTER TABLE api_tokens
  ADD CONSTRAINT api_tokens_storage_alias_notify CHECK (storage_alias IS NULL OR scope = 'notify');

-- FaDO listens only through a webhook target it owns (id fado): an ARN of someone else's target,
-- taken before, is forgotten (the next pass looks again).
UPDATE storage_deployments SET sqs_arn = ''
  WHERE sqs_arn <> '' AND lower(sqs_arn) NOT LIKE '%:fado:webhook';

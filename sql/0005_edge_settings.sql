-- How edges forward, beyond routes: retries and their budget, bounded-load hashing, and active
-- health checks (null = passive only). They travel in every route snapshot.
INSERT INTO policies (name, default_value) VALUES
  ('lb_retries',             '2'),
  ('lb_retry_budget',        '0.2'),
  ('lb_hash_balance_factor', '0'),
  ('lb_health_check',        'null');

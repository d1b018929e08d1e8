-- Locality-aware routing (issue 24): edges that know their zone prefer upstreams in clusters with
-- that zone ('prefer') or ignore zones ('off'); a bucket's route override may say otherwise.
INSERT INTO policies (name, default_value) VALUES ('lb_locality', '"prefer"');

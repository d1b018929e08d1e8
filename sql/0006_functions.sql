-- Function-aware scheduling (issue 15): functions with required zones and, per FaaS deployment,
-- a trigger (a path under the deployment's URL, or an absolute URL of its own), plus the
-- load-balancer settings that go with them.
CREATE TABLE functions (
  function_id serial PRIMARY KEY,
  name        text   NOT NULL UNIQUE,
  zones       jsonb  NOT NULL DEFAULT '[]'
);

CREATE TABLE function_triggers (
  function_id int  NOT NULL REFERENCES functions ON DELETE CASCADE,
  faas_id     int  NOT NULL REFERENCES faas_deployments ON DELETE CASCADE,
  target      text NOT NULL,
  PRIMARY KEY (function_id, faas_id)
);
CREATE INDEX function_triggers_faas ON function_triggers (faas_id);

INSERT INTO policies (name, default_value) VALUES
  ('lb_function_header', '"X-FaDO-Function"'),
  ('lb_allow_partial',   'true');

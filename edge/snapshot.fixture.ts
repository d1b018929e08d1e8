/** A valid route snapshot using every field, for the snapshot tests. */
import type { RouteSnapshot } from './snapshot.js'

export const valid: RouteSnapshot = {
  lineage: 'b3f0c1d2-0000-4000-8000-000000000001',
  settings: {
    retries: 2,
    retry_budget: 0.2,
    hash_balance_factor: 1.25,
    health_check: {
      path: '/healthz',
      interval_ms: 1000,
      timeout_ms: 500,
      healthy_threshold: 2,
      unhealthy_threshold: 3,
    },
    allow_partial: false,
    locality: 'off',
  },
  version: 3,
  generated_at: '2026-11-27T10:00:00.000Z',
  match_header: 'X-FaDO-Bucket',
  function_header: 'X-Fn',
  default_policy: 'round_robin',
  routes: {
    images: {
      policy: 'least_conn',
      upstreams: [
        { id: 1, url: 'https://faas.a:8443/fn', cluster: 'a' },
        { id: 2, url: 'http://127.0.0.1:8080', cluster: 'b' },
      ],
      bytes: 12000,
      allow_partial: false,
      locality: 'prefer',
    },
    empty: { policy: 'first', upstreams: [] },
  },
  clusters: { a: { zones: ['gpu', 'germany'] }, b: { zones: [] } },
  functions: {
    resize: { zones: ['gpu'], triggers: { '1': '/function/resize' } },
    thumb: { zones: [], triggers: { '2': 'https://thumb.example:8443/v1' } },
  },
}

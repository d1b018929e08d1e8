/** Load-balancer settings and route overrides, kept as global policies (thesis §4.1.1, §6.2). */
import type { EdgeSettings, PolicyName } from '../../edge/snapshot.js'
import type { RouteOverride } from '../snapshot/compile.js'
import type { Queryable } from './client.js'
import { getGlobalPolicies, setGlobalPolicy } from './policies.js'

export interface LoadBalancerSettings extends EdgeSettings {
  default_policy: PolicyName
  match_header: string
  function_header: string
}

const NAMES = {
  default_policy: 'lb_policy',
  match_header: 'lb_match_header',
  retries: 'lb_retries',
  retry_budget: 'lb_retry_budget',
  hash_balance_factor: 'lb_hash_balance_factor',
  health_check: 'lb_health_check',
  function_header: 'lb_function_header',
  allow_partial: 'lb_allow_partial',
  locality: 'lb_locality',
} as const satisfies Record<keyof LoadBalancerSettings, PolicyNameOf>

type PolicyNameOf = Parameters<typeof setGlobalPolicy>[1]

export async function getSettings(q: Queryable): Promise<LoadBalancerSettings> {
  const values = await getGlobalPolicies(q, Object.values(NAMES))
  return Object.fromEntries(
    Object.entries(NAMES).map(([field, name]) => [field, values.get(name)]),
  ) as unknown as LoadBalancerSettings
}

export async function setSettings(q: Queryable, settings: LoadBalancerSettings): Promise<void> {
  for (const [field, name] of Object.entries(NAMES))
    await setGlobalPolicy(q, name, settings[field as keyof LoadBalancerSettings])
}

export async function getRouteOverrides(q: Queryable): Promise<Record<string, RouteOverride>> {
  const values = await getGlobalPolicies(q, ['lb_route_overrides'])
  return (values.get('lb_route_overrides') ?? {}) as Record<string, RouteOverride>
}

export async function setRouteOverrides(
  q: Queryable,
  overrides: Record<string, RouteOverride>,
): Promise<void> {
  await setGlobalPolicy(q, 'lb_route_overrides', overrides)
}

/** Load-balancer settings and route overrides, kept as global policies (thesis §4.1.1, §6.2). */
import type { PolicyName } from '../../edge/snapshot.js'
import type { RouteOverride } from '../snapshot/compile.js'
import type { Queryable } from './client.js'
import { getGlobalPolicies, setGlobalPolicy } from './policies.js'

export interface LoadBalancerSettings {
  default_policy: PolicyName
  match_header: string
}

export async function getSettings(q: Queryable): Promise<LoadBalancerSettings> {
  const values = await getGlobalPolicies(q, ['lb_policy', 'lb_match_header'])
  return {
    default_policy: values.get('lb_policy') as PolicyName,
    match_header: values.get('lb_match_header') as string,
  }
}

export async function setSettings(q: Queryable, settings: LoadBalancerSettings): Promise<void> {
  await setGlobalPolicy(q, 'lb_policy', settings.default_policy)
  await setGlobalPolicy(q, 'lb_match_header', settings.match_header)
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

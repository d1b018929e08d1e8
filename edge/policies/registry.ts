/** Policy name → a fresh policy instance (each route keeps its own state, e.g. its RR counter). */
import type { PolicyName } from '../snapshot.js'
import { fastest } from './fastest.js'
import { first } from './first.js'
import { hash } from './hash.js'
import { leastConn } from './least-conn.js'
import type { Policy } from './policy.js'
import { random } from './random.js'
import { roundRobin } from './round-robin.js'

export const POLICIES: Record<PolicyName, () => Policy> = {
  round_robin: roundRobin,
  least_conn: leastConn,
  random,
  first,
  hash,
  fastest,
}

export const createPolicy = (name: PolicyName): Policy => POLICIES[name]()

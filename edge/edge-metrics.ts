/**
 * What an edge reports per invocation, runtime-neutral (the Node edge implements it with
 * prom-client in node-metrics.ts). Labels are names from the snapshot only — never what a client
 * wrote — so the number of series stays bounded.
 */
export interface InvocationMetrics {
  invocation(facts: InvocationFacts, seconds: number): void
  retries(count: number): void
}

/** What an edge knows of one invocation once its answer is over. */
export interface InvocationFacts {
  bucket: string
  /** The cluster that answered; '' when none did. */
  cluster: string
  code: number
  /** The edge's zone for this request; '' when it does not know it. */
  zone?: string | undefined
  /** Served by a cluster outside the edge's zone (false when the edge has no zone). */
  remote?: boolean | undefined
  /** Bytes answered to the client. */
  bytes?: number | undefined
}

/** The bucket label of an invocation: its bucket, '_multiple' for several, '' when refused before routing. */
export const bucketLabel = (routed: string | undefined): string =>
  routed === undefined ? '' : routed.includes(',') ? '_multiple' : routed

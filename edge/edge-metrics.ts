/**
 * What an edge reports per invocation, runtime-neutral (the Node edge implements it with
 * prom-client in node-metrics.ts). Labels are names from the snapshot only — never what a client
 * wrote — so the number of series stays bounded.
 */
export interface InvocationMetrics {
  invocation(labels: { bucket: string; cluster: string; code: number }, seconds: number): void
  retries(count: number): void
}

/** The bucket label of an invocation: its bucket, '_multiple' for several, '' when refused before routing. */
export const bucketLabel = (routed: string | undefined): string =>
  routed === undefined ? '' : routed.includes(',') ? '_multiple' : routed

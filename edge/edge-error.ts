/**
 * The errors an edge answers with, on both runtimes: a status, a stable code and a message that
 * names the bucket or cluster, never an internal address (those go to the edge's log).
 */
export interface EdgeError {
  status: 400 | 404 | 502 | 503
  code: string
  message: string
}

export const edgeErrorBody = (e: EdgeError): string =>
  JSON.stringify({ error: { code: e.code, message: e.message } })

export const noHealthyUpstream = (bucket: string): EdgeError => ({
  status: 503,
  code: 'no_healthy_upstream',
  message: `no healthy upstream for bucket '${bucket}'`,
})
/** Names the cluster, never an address or a library message. */
export const upstreamFailed = (cluster: string): EdgeError => ({
  status: 502,
  code: 'upstream_failed',
  message: `the function could not be reached or failed (last tried: cluster '${cluster}')`,
})

export const badTarget = (reason: string): EdgeError => ({
  status: 400,
  code: 'bad_request_target',
  message: `request target refused: ${reason}`,
})

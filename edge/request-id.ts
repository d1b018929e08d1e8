/**
 * Pure: the id an invocation is known by in the edge's log, at the upstream and in the answer
 * (`X-Request-Id`). A client's own id is kept when it is a short run of visible, header-safe
 * characters (a tracing id, a UUID); anything else — too long, spaces, control characters — is
 * replaced, so log lines and upstream headers never carry what a client chose to inject.
 */
export const REQUEST_ID_HEADER = 'x-request-id'

const ACCEPTABLE = /^[\w.:@+/=-]{1,128}$/

export function requestId(incoming: string | undefined | null, generate: () => string): string {
  return incoming && ACCEPTABLE.test(incoming) ? incoming : generate()
}

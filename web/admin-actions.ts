import { authHeaders, checkAnswer } from './frame-reader.js'

export type EndpointAction = 'drain' | 'undrain' | 'eject' | 'uneject'

/** What an action's answer says of the endpoint now (the endpoint object of GET /api/upstreams, in part). */
export interface EndpointAfter {
  health: { state: string; ejected: boolean; ejectionRemainingMs: number; drained: boolean }
}

/**
 * POST /api/upstreams/{upstream}/endpoints/{endpoint}/{action} with an admin token: path segments URL-encoded
 * (ids look like 127.0.0.1:8080), a JSON body (the reason goes into the audit line). Throws ApiError with the
 * API's {error, message} when refused.
 */
export async function runAction(token: string, upstream: string, endpoint: string, action: EndpointAction): Promise<EndpointAfter> {
  const path = `/api/upstreams/${encodeURIComponent(upstream)}/endpoints/${encodeURIComponent(endpoint)}/${action}`
  const res = await fetch(path, {
    method: 'POST',
    headers: { ...authHeaders(token), 'content-type': 'application/json' },
    body: JSON.stringify({ reason: `${action} from the dashboard` }),
    cache: 'no-store',
  })
  await checkAnswer(res)
  return ((await res.json()) as { endpoint: EndpointAfter }).endpoint
}

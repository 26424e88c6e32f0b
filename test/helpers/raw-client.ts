import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  body: string
}

/**
 * A request through node:http, which (unlike undici) lets a test send any header a client might, such as
 * `Connection: x-foo` or `Keep-Alive`. Rejects if the connection breaks before the response ends.
 */
export function rawRequest(url: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('latin1')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('error', reject)
      res.on('aborted', () => reject(new Error('response aborted')))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

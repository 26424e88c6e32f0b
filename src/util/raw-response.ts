import { STATUS_CODES } from 'node:http'

/**
 * The error answer sendError (error-response.ts) gives, as the bytes of a whole HTTP/1.1 response, for a socket
 * that no ServerResponse owns any more (an upgrade Node handed over): the same JSON body with its stable code,
 * and Connection: close, since nothing else is said on that connection. `extra` are more [name, value] fields.
 */
export function rawErrorResponse(status: number, code: string, message: string, extra: readonly (readonly [string, string])[] = []): string {
  const body = JSON.stringify({ error: code, message })
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`
  for (const [name, value] of extra) head += `${name}: ${value}\r\n`
  return (
    `${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n` +
    `Connection: close\r\n\r\n${body}`
  )
}

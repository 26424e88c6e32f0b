/** An answer of the admin API that is not a success: its stable code and message, printed by baton ctl. */
export class AdminApiError extends Error {
  constructor(
    /** 0 when no answer came. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(status === 0 ? `${code}: ${message}` : `${code}: ${message} (HTTP ${status})`)
  }
}

/**
 * The admin API as baton ctl calls it: JSON in and out, the bearer token on every call, a write always with
 * Content-Type: application/json (the admin server refuses writes without it). Node's fetch (undici).
 */
export class AdminClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  get(path: string): Promise<unknown> {
    return this.call('GET', path, undefined)
  }

  post(path: string, body: unknown = {}): Promise<unknown> {
    return this.call('POST', path, JSON.stringify(body))
  }

  private async call(method: string, path: string, body: string | undefined): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await fetch(new URL(path, this.baseUrl), { method, headers, body })
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      throw new AdminApiError(0, 'BATON_CTL_UNREACHABLE', `cannot reach the admin API at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? String(err)}`)
    }
    const text = await res.text()
    const parsed = parseJson(text)
    if (!res.ok) {
      const error = parsed as { error?: string; message?: string; errors?: string[] } | null
      const message = [error?.message ?? (text || res.statusText), ...(error?.errors ?? [])].join('\n  ')
      throw new AdminApiError(res.status, error?.error ?? `HTTP_${res.status}`, message)
    }
    return parsed
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}

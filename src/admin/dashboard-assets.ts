import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { sendError } from '../util/error-response.js'

/**
 * The dashboard's static files. They hold no data (the page asks for a token before it fetches any), so the
 * routes are public. Every file is revalidated on each load (no-cache with an ETag, answered 304 when it did not
 * change): a new build or uPlot upgrade is seen at once, and an unchanged file costs a round trip, no bytes.
 *
 * Content-Security-Policy: scripts and styles from this origin only, no inline script, no framing, no form
 * posts, fetches to this origin only. uPlot styles its elements through the CSSOM, which style-src allows.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const require = createRequire(import.meta.url)

/** Project files, from this module's place: dist/src/admin/ → the project root. */
const root = new URL('../../../', import.meta.url)

export interface DashboardAsset {
  readonly path: string
  readonly file: string
  readonly contentType: string
}

/** The page's modules, compiled from web/ by tsconfig.dashboard.json (npm run build); the entry imports the rest. */
const MODULES = ['dashboard', 'admin-actions', 'charts', 'endpoint-table', 'format', 'frame-reader', 'signals-text', 'timeline', 'upstream-panel']

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

export const DASHBOARD_ASSETS: readonly DashboardAsset[] = [
  { path: '/', file: projectFile('web/dashboard.html'), contentType: 'text/html; charset=utf-8' },
  { path: '/dashboard.css', file: projectFile('web/dashboard.css'), contentType: CSS },
  ...MODULES.map((name) => ({ path: `/js/${name}.js`, file: projectFile(`dist/browser/web/${name}.js`), contentType: JS })),
  // uPlot from node_modules, wherever the package manager put it: no CDN.
  { path: '/uplot.min.js', file: require.resolve('uplot/dist/uPlot.iife.min.js'), contentType: JS },
  { path: '/uplot.min.css', file: require.resolve('uplot/dist/uPlot.min.css'), contentType: CSS },
]

function projectFile(path: string): string {
  return fileURLToPath(new URL(path, root))
}

interface Loaded {
  readonly body: Buffer
  readonly etag: string
}

/** Serves the assets, each read once on its first request and then kept (a few hundred KiB in all). */
export class DashboardAssets {
  private readonly loaded = new Map<string, Promise<Loaded>>()

  async serve(asset: DashboardAsset, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let loaded: Loaded
    try {
      loaded = await this.load(asset)
    } catch {
      this.loaded.delete(asset.file)
      sendError(res, 404, 'BATON_DASHBOARD_MISSING', `${asset.path} is not built: run npm run build`)
      return
    }
    const headers = {
      'cache-control': 'no-cache',
      etag: loaded.etag,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    }
    if (req.headers['if-none-match'] === loaded.etag) {
      res.writeHead(304, headers)
      res.end()
      return
    }
    res.writeHead(200, { ...headers, 'content-type': asset.contentType, 'content-length': loaded.body.length })
    res.end(loaded.body)
  }

  private load(asset: DashboardAsset): Promise<Loaded> {
    let loaded = this.loaded.get(asset.file)
    if (loaded === undefined) {
      loaded = readFile(asset.file).then((body) => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }))
      this.loaded.set(asset.file, loaded)
    }
    return loaded
  }
}

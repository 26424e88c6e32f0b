import { DASHBOARD_ASSETS, DashboardAssets } from './dashboard-assets.js'
import type { DashboardStream } from './dashboard-stream.js'
import type { RouteTable } from './route-table.js'

/** The dashboard on the admin server: its static files (public: they hold no data) and the live stream (read). */
export function addDashboardRoutes(routes: RouteTable, stream: DashboardStream): RouteTable {
  const assets = new DashboardAssets()
  for (const asset of DASHBOARD_ASSETS) routes.add('GET', asset.path, 'public', (req, res) => assets.serve(asset, req, res))
  return routes.add('GET', '/api/stream', 'read', (req, res) => stream.serve(req, res))
}

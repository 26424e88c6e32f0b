import type { ServerResponse } from 'node:http'
import type { AnomalyMonitor } from '../anomaly/anomaly-monitor.js'
import { sendJson } from './send-json.js'

/**
 * GET /api/anomalies: the anomalies active now (oldest first) and the recently ended ones (newest last, at
 * most 100), each with its scope (upstream or route), name, signal, the band it left and the value observed;
 * `enabled` false (and both lists empty) when detection is off.
 */
export function serveAnomalies(monitor: AnomalyMonitor | null, res: ServerResponse): void {
  if (monitor === null) {
    sendJson(res, 200, { enabled: false, active: [], recent: [] })
    return
  }
  sendJson(res, 200, { enabled: true, active: monitor.activeList(), recent: monitor.recent() })
}

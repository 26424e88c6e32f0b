import type { ActiveHealthConfig, ForecastConfig, HealthConfig, OutlierConfig } from '../../../src/config/types.js'
import { DEFAULT_HEALTH } from '../../../src/config/build-health.js'

/** Health configs for unit tests: the built defaults with the fields a test cares about overridden. */

export function outlierConfig(overrides: Partial<OutlierConfig> = {}): OutlierConfig {
  return { ...DEFAULT_HEALTH.outlier, ...overrides }
}

export function forecastConfig(overrides: Partial<ForecastConfig> = {}): ForecastConfig {
  return { ...DEFAULT_HEALTH.forecast, ...overrides }
}

/** Fast checks for loopback tests: 20 ms apart, no jitter, 200 ms timeout. */
export function activeConfig(overrides: Partial<ActiveHealthConfig> = {}): ActiveHealthConfig {
  return {
    method: 'GET',
    path: '/healthz',
    expectedStatusMin: 200,
    expectedStatusMax: 399,
    bodyContains: null,
    intervalMs: 20,
    jitterMs: 0,
    unhealthyIntervalMs: 20,
    timeoutMs: 200,
    rise: 2,
    fall: 3,
    initialState: 'healthy',
    ...overrides,
  }
}

export function healthConfig(overrides: Partial<HealthConfig> = {}): HealthConfig {
  return { ...DEFAULT_HEALTH, ...overrides }
}

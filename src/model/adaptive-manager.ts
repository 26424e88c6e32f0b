import type { AdaptiveModel } from './adaptive-model.js'
import type { ExplorationBudget } from './exploration-budget.js'
import type { ModelState } from './model-state.js'
import { ModelVersions, type ModelVersion, type VersionInput } from './model-versions.js'
import { loadModelState, saveModelState, type LoadFailure } from './persistence.js'

/**
 * Everything about the adaptive model that is not per request: its timed work (ageing, capacity
 * refits, drift bookkeeping, periodic saves), its version history and rollback, and persistence. Runs on
 * the policy's tick and on admin calls only; reports what happened to listeners (the lead logs them).
 */
export type AdaptiveEvent =
  /** Drift was detected at these endpoints (their models were made uncertain again and refitted); `version` records it. */
  | { type: 'drift'; endpointIds: string[]; version: ModelVersion }
  /**
   * A new current version (a refit, drift, a load or a rollback): `previous` is the id it replaced (null for
   * none); `actor` names who asked for a rollback (an admin token), null when Baton decided.
   */
  | { type: 'version'; version: ModelVersion; previous: number | null; actor: string | null }
  | { type: 'saved'; dir: string }
  | { type: 'save-failed'; dir: string; detail: string }

export type SaveResult = { ok: true } | { ok: false; detail: string }

/** Why a saved model was not loaded: persistence's reasons, or a file for another model layout. */
export type LoadOutcome =
  | { ok: true; version: ModelVersion; /** Wall-clock ms when saved. */ savedAt: number }
  | { ok: false; reason: LoadFailure | 'model-mismatch'; detail: string }

export interface AdaptiveManagerOptions {
  /** How often the capacity curves are refitted, ms. */
  refitIntervalMs: number
  /** Directory of the periodic save, null for none. */
  stateDir: string | null
  saveIntervalMs: number
  /** Wall clock, ms since the epoch: version and save timestamps. */
  wallClock: () => number
  /** The policy's exploration counts (shown as explorationShare by the admin API and Prometheus); null for none. */
  exploration?: ExplorationBudget | null
}

/**
 * A timed refit records a version at most this often, ms: refits run every second or so, and one version
 * each would push the whole bounded history (20 versions) out in 20 s; one a minute keeps 20 minutes to
 * roll back through. Drift, rollback and load always record one.
 */
const REFIT_VERSION_INTERVAL_MS = 60_000

export class AdaptiveModelManager {
  private model: AdaptiveModel
  /** Endpoint ids by index. */
  private ids: readonly string[]
  private readonly options: AdaptiveManagerOptions
  private readonly history: ModelVersions
  private readonly listeners: ((event: AdaptiveEvent) => void)[] = []
  /** Monotonic ms of the last refit and of the last refit version; NaN before the first. */
  private refittedAtMs = Number.NaN
  private versionedAtMs = Number.NaN
  /** Monotonic ms of the last periodic save (the first tick counts as one: no save of an untrained model at start). */
  private savedAtMs = Number.NaN
  private saving = false
  /** Cost factor per unit of reported load, applied to every model attached (upstream loadReport.weight). */
  private loadWeight = 0
  /** Monotonic ms of the last tick: the time explainLoad() reads reports at. */
  private tickedAtMs = 0

  constructor(model: AdaptiveModel, ids: readonly string[], options: AdaptiveManagerOptions) {
    this.model = model
    this.ids = ids
    this.options = options
    this.history = new ModelVersions({ clock: { now: options.wallClock } })
  }

  /** The policy replaced its model (a larger endpoint set) or learned endpoint ids. */
  attach(model: AdaptiveModel, ids: readonly string[]): void {
    this.model = model
    this.ids = ids
    model.loadWeight = this.loadWeight
  }

  /** Price reported load: cost = latency × (1 + weight × load) (upstream loadReport.weight); 0 ignores reports. */
  setLoadWeight(weight: number): void {
    this.loadWeight = weight
    this.model.loadWeight = weight
  }

  /** Whether reported load is priced (a loadReport is configured). */
  reportsLoad(): boolean {
    return this.loadWeight > 0
  }

  /** Endpoint i reported its load (cluster/: from a response header). O(1), no allocation. */
  observeLoad(i: number, load: number, nowMs: number): void {
    if (i < this.model.size) this.model.features.recordLoad(i, load, nowMs)
  }

  /** For /api/model/explain: i's reported load (fading, as of the last tick) and what it adds to a cost at latencyMs. */
  explainLoad(i: number, latencyMs: number): { reportedLoad: number; loadCostMs: number } {
    if (i >= this.model.size) return { reportedLoad: 0, loadCostMs: 0 }
    const load = this.model.features.reportedLoad(i, this.tickedAtMs)
    return { reportedLoad: load, loadCostMs: latencyMs * this.loadWeight * load }
  }

  onEvent(listener: (event: AdaptiveEvent) => void): void {
    this.listeners.push(listener)
  }

  /** Oldest first; the last is current. */
  versions(): readonly ModelVersion[] {
    return this.history.list()
  }

  /** Share (0..1) of picks that went to a candidate believed slower than the best, over the last 10 s window. */
  explorationShare(): number {
    return this.options.exploration?.share() ?? 0
  }

  currentVersion(): number {
    return this.history.current()?.id ?? 0
  }

  /**
   * Make the current version's parent (or version `toId`) current again (see ModelVersions.rollback); null when
   * there is none. `actor`: who asked (an admin token's name), carried in the 'version' event; null for Baton itself.
   */
  rollback(toId: number | null = null, actor: string | null = null): ModelVersion | null {
    const previous = this.history.current()?.id ?? null
    const version = this.history.rollback(toId)
    if (version === null) return null
    for (const [id, coefficients] of Object.entries(version.coefficients)) {
      const i = this.ids.indexOf(id)
      if (i !== -1 && i < this.model.size) this.model.restore(i, coefficients)
    }
    this.emit({ type: 'version', version, previous, actor })
    return version
  }

  /** The timed work, in order: ageing, drift versions, refit, periodic save. */
  tick(nowMs: number): void {
    this.tickedAtMs = nowMs
    this.model.age(nowMs)
    this.recordDrift()
    if (!(nowMs - this.refittedAtMs < this.options.refitIntervalMs)) this.refit(nowMs)
    this.maybeSave(nowMs)
  }

  /** After a reload: the upstream's version history goes on (ids keep rising; rollback reaches back). */
  adoptHistory(previous: AdaptiveModelManager): void {
    this.history.restore(previous.history.list())
  }

  /** Write the model to dir atomically; never throws. */
  async saveState(dir: string): Promise<SaveResult> {
    const state: ModelState = { endpoints: [...this.ids], ...this.model.exportState(), versions: [...this.history.list()] }
    try {
      await saveModelState(dir, state, this.options.wallClock())
      return { ok: true }
    } catch (err) {
      return { ok: false, detail: String(err) }
    }
  }

  /**
   * Load the model saved in dir for `endpointIds` (index order, as the policy has them); never throws.
   * A missing, corrupt or mismatched file is a returned reason and leaves the model untouched.
   */
  async loadState(dir: string, endpointIds: readonly string[]): Promise<LoadOutcome> {
    if (endpointIds.length !== this.ids.length || endpointIds.some((id, i) => id !== this.ids[i])) {
      const detail = `the policy's endpoints are [${this.ids.join(', ')}], asked for [${endpointIds.join(', ')}]`
      return { ok: false, reason: 'endpoint-mismatch', detail }
    }
    const loaded = await loadModelState(dir, endpointIds)
    if (!loaded.ok) return loaded
    const problem = this.model.importState(loaded.state.regression, loaded.state.capacity)
    if (problem !== null) return { ok: false, reason: 'model-mismatch', detail: problem }
    this.history.restore(loaded.state.versions)
    return { ok: true, version: this.record('loaded', null), savedAt: loaded.savedAt }
  }

  /** saveState to the configured stateDir (at shutdown); null when persistence is off. */
  persist(): Promise<SaveResult> | null {
    const dir = this.options.stateDir
    return dir === null ? null : this.saveState(dir)
  }

  /** The configured state directory, null when persistence is off. */
  stateDir(): string | null {
    return this.options.stateDir
  }

  /** loadState from the configured stateDir with the policy's endpoints; null when persistence is off. */
  warmStart(): Promise<LoadOutcome> | null {
    const dir = this.options.stateDir
    return dir === null ? null : this.loadState(dir, this.ids)
  }

  private recordDrift(): void {
    const drifted: string[] = []
    for (let i = 0; i < this.model.size; i++) {
      if (!this.model.takeDrift(i)) continue
      this.model.refitCurve(i) // its curve may be as stale as its regression
      drifted.push(this.ids[i])
    }
    if (drifted.length === 0) return
    const version = this.record('drift', this.model.heldOutError())
    this.emit({ type: 'drift', endpointIds: drifted, version })
  }

  private refit(nowMs: number): void {
    this.refittedAtMs = nowMs
    this.model.refit()
    if (nowMs - this.versionedAtMs < REFIT_VERSION_INTERVAL_MS) return
    this.versionedAtMs = nowMs
    this.record('refit', this.model.heldOutError())
  }

  private maybeSave(nowMs: number): void {
    const dir = this.options.stateDir
    if (dir === null || this.saving) return
    if (Number.isNaN(this.savedAtMs)) this.savedAtMs = nowMs
    if (nowMs - this.savedAtMs < this.options.saveIntervalMs) return
    this.savedAtMs = nowMs
    this.saving = true
    void this.saveState(dir).then((result) => {
      this.saving = false
      this.emit(result.ok ? { type: 'saved', dir } : { type: 'save-failed', dir, detail: result.detail })
    })
  }

  private record(reason: VersionInput['reason'], heldOutError: number | null): ModelVersion {
    // fromEntries defines own properties, so an endpoint named "__proto__" stays a plain key.
    const coefficients = Object.fromEntries(this.ids.map((id, i) => [id, this.model.coefficients(i)]))
    const previous = this.history.current()?.id ?? null
    const version = this.history.record({ sampleCount: this.model.totalSamples(), heldOutError, reason, coefficients })
    this.emit({ type: 'version', version, previous, actor: null })
    return version
  }

  private emit(event: AdaptiveEvent): void {
    for (const listener of this.listeners) listener(event)
  }
}

import { constants, PerformanceObserver, type NodeGCPerformanceDetail, type PerformanceEntry } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

/** Young-generation collections (scavenges) during `run`: a hot path that allocates shows up as some. */
export async function scavengesDuring(run: () => void): Promise<number> {
  let scavenges = 0
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const gc = entry as PerformanceEntry & { detail: NodeGCPerformanceDetail } // entryTypes: ['gc'] below
      if (gc.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++
    }
  })
  await sleep(20)
  observer.observe({ entryTypes: ['gc'] })
  run()
  await sleep(20)
  observer.disconnect()
  return scavenges
}

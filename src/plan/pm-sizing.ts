import type {PoolFacts} from '../model/facts.js'
import {DEFAULT_POLICY, type Policy} from '../model/policy.js'

/** The process-manager numbers a repair or a resize works on. */
export interface PmNumbers {
  pm: string
  maxChildren: number
  startServers?: number | undefined
  minSpare?: number | undefined
  maxSpare?: number | undefined
}

/** A pool's process-manager numbers as its facts give them. */
export function pmNumbersOf(
  pool: Pick<PoolFacts, 'pm' | 'maxChildren' | 'startServers' | 'minSpare' | 'maxSpare'>,
): PmNumbers {
  return {
    pm: pool.pm.value,
    maxChildren: pool.maxChildren.value,
    startServers: pool.startServers.value,
    minSpare: pool.minSpare.value,
    maxSpare: pool.maxSpare.value,
  }
}

/**
 * The smallest change to make `settings` acceptable with max_children = `maxChildren`:
 * values already valid are kept; spare/start values are pulled inside the bounds.
 * Returns only the keys that change.
 */
export function consistentPm(
  settings: PmNumbers,
  maxChildren: number,
): Partial<Record<'pm.max_children' | 'pm.start_servers' | 'pm.min_spare_servers' | 'pm.max_spare_servers', number>> {
  const changes: Partial<
    Record<'pm.max_children' | 'pm.start_servers' | 'pm.min_spare_servers' | 'pm.max_spare_servers', number>
  > = {}
  const children = Math.max(1, Math.floor(maxChildren))
  if (children !== settings.maxChildren) changes['pm.max_children'] = children
  if (settings.pm !== 'dynamic') return changes
  let min = settings.minSpare ?? 1
  let max = settings.maxSpare ?? children
  if (min < 1) min = 1
  if (min > children) min = Math.max(1, Math.floor(children / 4))
  if (max > children) max = children
  if (max < min) max = Math.min(children, Math.max(min, Math.ceil(children / 2)))
  if (min !== settings.minSpare) changes['pm.min_spare_servers'] = min
  if (max !== settings.maxSpare) changes['pm.max_spare_servers'] = max
  if (settings.startServers !== undefined && (settings.startServers < min || settings.startServers > max)) {
    changes['pm.start_servers'] = min + Math.floor((max - min) / 2)
  }
  return changes
}

export interface MemoryBudget {
  availableKb: number
  totalKb: number
  /** Memory the pool's workers use now (freed for the new count to share). */
  currentWorkersKb: number
  /** Average per-worker memory (PSS preferred; RSS overestimates shared pages). */
  perWorkerKb: number
}

/**
 * pm.max_children the host can afford: (MemAvailable + what the pool already uses
 * − a reserve of RAM) / per-worker memory, less a headroom margin.
 */
export function affordableChildren(budget: MemoryBudget, sizing: Policy['sizing'] = DEFAULT_POLICY.sizing): number {
  const reserveKb = Math.max((budget.totalKb * sizing.reservePercent) / 100, sizing.reserveMinMb * 1024)
  const usableKb = budget.availableKb + budget.currentWorkersKb - reserveKb
  if (budget.perWorkerKb <= 0 || usableKb <= 0) return 0
  return Math.floor((usableKb * (100 - sizing.headroomPercent)) / 100 / budget.perWorkerKb)
}

/** Average per-worker memory (PSS preferred, RSS otherwise) of running workers; the policy's assumption when none runs. */
export function perWorkerKb(
  workers: Array<{rssKb: number; pssKb?: number}>,
  sizing: Policy['sizing'] = DEFAULT_POLICY.sizing,
): {kb: number; measured: number} {
  const sizes = workers.map((worker) => worker.pssKb ?? worker.rssKb).filter((kb) => kb > 0)
  if (sizes.length === 0) return {kb: sizing.assumedWorkerMb * 1024, measured: 0}
  return {kb: sizes.reduce((sum, kb) => sum + kb, 0) / sizes.length, measured: sizes.length}
}

/** The most pm.max_children may grow to in one plan from `current`. */
export function growthCap(current: number, sizing: Policy['sizing'] = DEFAULT_POLICY.sizing): number {
  return Math.max(current * sizing.maxGrowthFactor, current + sizing.maxGrowthFactor)
}

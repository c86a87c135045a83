import type {HostFacts, PoolFacts} from '../model/facts.js'
import type {Policy} from '../model/policy.js'
import {affordableChildren, growthCap, perWorkerKb} from '../plan/pm-sizing.js'

/** The pools sized `auto` on one host: how many share the memory, and the workers whose memory they share. */
export interface AutoSharers {
  count: number
  pools: ReadonlyArray<Pick<PoolFacts, 'workers'>>
}

export type AutoChildren = {ok: true; value: number; affordable: number; basis: string} | {ok: false; why: string}

function workersKb(pools: ReadonlyArray<Pick<PoolFacts, 'workers'>>): number {
  return pools.flatMap((pool) => pool.workers).reduce((sum, worker) => sum + (worker.pssKb ?? worker.rssKb), 0)
}

/**
 * `pm.max_children = auto`: what the host's memory affords, sized as the pool-exhausted repair
 * does (affordableChildren over MemAvailable plus the pools' own workers, less the reserve and
 * headroom, per measured worker), the memory shared equally by every pool the policy sizes this
 * way (`sharers`, with the workers they replace), and growing at most the policy's growth factor in one plan. `measured` are the
 * pools whose workers tell the per-worker size (a pool being carried to a new version is measured
 * on its old workers).
 */
export function autoChildren(
  facts: HostFacts,
  current: number,
  measured: ReadonlyArray<Pick<PoolFacts, 'workers'>>,
  sharers: AutoSharers,
  sizing: Policy['sizing'],
): AutoChildren {
  const {availableKb, totalKb} = facts.memory
  if (availableKb === undefined || totalKb === undefined)
    return {ok: false, why: 'the host did not report MemTotal/MemAvailable'}
  const worker = perWorkerKb(
    measured.flatMap((pool) => pool.workers),
    sizing,
  )
  const affordable = affordableChildren(
    {
      availableKb,
      totalKb,
      currentWorkersKb: workersKb(sharers.pools),
      perWorkerKb: worker.kb * Math.max(1, sharers.count),
    },
    sizing,
  )
  if (affordable < 1)
    return {ok: false, why: `memory does not afford one more worker of ~${Math.round(worker.kb / 1024)} MiB`}
  const size = `~${Math.round(worker.kb / 1024)} MiB`
  const per =
    worker.measured > 0 ? `${worker.measured} workers of ${size} measured` : `${size} per worker assumed (policy)`
  const basis =
    `${per}, ` +
    `MemAvailable ${Math.round(availableKb / 1024)} of ${Math.round(totalKb / 1024)} MiB` +
    (sharers.count > 1 ? `, shared by ${sharers.count} pools` : '')
  // Measurements move a little between plans: a count within the headroom margin below what memory affords stands.
  const floor = Math.floor((affordable * (100 - sizing.headroomPercent)) / 100)
  if (current >= 1 && current <= affordable && current >= floor) return {ok: true, value: current, affordable, basis}
  return {
    ok: true,
    value: current >= 1 ? Math.min(affordable, growthCap(current, sizing)) : affordable,
    affordable,
    basis,
  }
}

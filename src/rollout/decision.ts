import {FpmfixError} from '../errors.js'

/**
 * Host outcomes a rollout counts as successes: the plan's change is in effect on the host
 * (committed now, or by an earlier apply of this plan) or there was nothing to do. Every
 * other outcome is a failure: rolled back (a failed step or a failed retest), rollback
 * failed, refused as stale, locked, not reachable, not the planned host, failed.
 */
const SUCCESSES: ReadonlySet<string> = new Set(['applied', 'already-applied', 'unchanged'])

export function countsAsFailure(status: string): boolean {
  return !SUCCESSES.has(status)
}

/** `--max-fail-percentage P`: a share from 0 to 100, decimals and a trailing `%` allowed (as Ansible's `percent`). */
export function parseFailPercentage(text: string): number {
  const match = /^(\d{1,3}(?:\.\d+)?)%?$/.exec(text.trim())
  const value = match ? Number(match[1]) : Number.NaN
  if (value >= 0 && value <= 100) return value
  throw new FpmfixError('USAGE', `--max-fail-percentage ${text}: not a percentage from 0 to 100`, {
    hint: 'Give the share of failed hosts the rollout tolerates, e.g. --max-fail-percentage 25 (0 stops at the first failure).',
  })
}

/** What a rollout has seen so far: hosts started (whether ended or not) and hosts that ended failed. */
export interface RolloutTally {
  attempted: number
  failed: number
}

/** The failed share of the hosts attempted so far, in percent (0 before any attempt). */
export function failedPercent(tally: RolloutTally): number {
  return tally.attempted === 0 ? 0 : (tally.failed / tally.attempted) * 100
}

/**
 * Whether the rollout must stop starting hosts: the failed share of the hosts attempted so far
 * exceeds `maxFailPercentage` (as Ansible's `max_fail_percentage`, strictly greater). Unlike
 * Ansible the share is over every host attempted since the rollout began, not per batch, so a
 * fleet cannot lose P% in every batch and still go on. `undefined` never stops (no rollout).
 */
export function mustStop(tally: RolloutTally, maxFailPercentage: number | undefined): boolean {
  if (maxFailPercentage === undefined || tally.failed === 0) return false
  // Compared in whole numbers: 1 of 3 is not "more than 33.3…%" by a rounding accident.
  return tally.failed * 100 > maxFailPercentage * tally.attempted
}

function percentText(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)}%`
}

/** Why the rollout stopped, in words: `2 of 3 hosts attempted failed (66.7% > 50%)`. */
export function stopReason(tally: RolloutTally, maxFailPercentage: number): string {
  const hosts = tally.attempted === 1 ? 'host' : 'hosts'
  return `${tally.failed} of ${tally.attempted} ${hosts} attempted failed (${percentText(failedPercent(tally))} > ${percentText(maxFailPercentage)})`
}

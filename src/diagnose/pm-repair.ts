import {validatePmSettings} from '../fpm/index.js'
import type {ProcessManager} from '../fpm/types.js'
import type {Remedy} from '../model/finding.js'
import type {FpmInstallFacts, PoolFacts} from '../model/facts.js'
import {consistentPm, pmNumbersOf, type PmNumbers} from '../plan/pm-sizing.js'

const MANAGERS = new Set(['static', 'dynamic', 'ondemand'])

/** php-fpm's first pm complaint about this pool (its own words), or undefined. */
export function pmComplaint(pool: PoolFacts, numbers: PmNumbers): string | undefined {
  return validatePmSettings({
    name: pool.name,
    pm: MANAGERS.has(numbers.pm) ? (numbers.pm as ProcessManager) : undefined,
    maxChildren: numbers.maxChildren,
    // A start_servers php-fpm picks itself is not checked against the spare bounds.
    ...(numbers.startServers === undefined || pool.startServers.source === 'default'
      ? {}
      : {startServers: numbers.startServers}),
    ...(numbers.minSpare === undefined ? {} : {minSpareServers: numbers.minSpare}),
    ...(numbers.maxSpare === undefined ? {} : {maxSpareServers: numbers.maxSpare}),
  })?.message
}

/** fpm-set remedies that make each pool's pm settings pass php-fpm's own checks, keeping max_children. */
export function pmRepairRemedies(install: FpmInstallFacts, why: string): Remedy[] {
  const remedies: Remedy[] = []
  for (const pool of install.pools) {
    const numbers = pmNumbersOf(pool)
    const complaint = pmComplaint(pool, numbers)
    if (complaint === undefined) continue
    const children = numbers.maxChildren >= 1 ? numbers.maxChildren : 5
    for (const [key, value] of Object.entries(consistentPm(numbers, children))) {
      remedies.push({
        kind: 'fpm-set',
        install: install.id,
        pool: pool.name,
        key,
        value: String(value),
        reason: `${why}: ${complaint}`,
      })
    }
  }
  return remedies
}

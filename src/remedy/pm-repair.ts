import {consistentPm, pmNumbersOf, type PmNumbers} from '../fpm/pm-sizing.js'
import {validatePmSettings} from '../fpm/index.js'
import type {ProcessManager} from '../fpm/types.js'
import type {Remedy} from '../model/finding.js'
import type {FpmInstallFacts, PoolFacts} from '../model/facts.js'

type FpmSet = Extract<Remedy, {kind: 'fpm-set'}>

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

/** The fpm-set remedies that give pool `pool` `children` workers and pm numbers php-fpm accepts with it (see consistentPm). */
export function pmRemedies(
  install: string,
  pool: string,
  numbers: PmNumbers,
  children: number,
  reason: string,
): FpmSet[] {
  return Object.entries(consistentPm(numbers, children)).map(([key, value]) => ({
    kind: 'fpm-set',
    install,
    pool,
    key,
    value: String(value),
    reason,
  }))
}

/** fpm-set remedies that make each pool's pm settings pass php-fpm's own checks, keeping max_children. */
export function pmRepairRemedies(install: FpmInstallFacts, why: string): Remedy[] {
  return install.pools.flatMap((pool) => {
    const numbers = pmNumbersOf(pool)
    const complaint = pmComplaint(pool, numbers)
    if (complaint === undefined) return []
    const children = numbers.maxChildren >= 1 ? numbers.maxChildren : 5
    return pmRemedies(install.id, pool.name, numbers, children, `${why}: ${complaint}`)
  })
}

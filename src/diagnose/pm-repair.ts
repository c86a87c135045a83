import type {Remedy} from '../model/finding.js'
import type {FpmInstallFacts} from '../model/facts.js'
import {consistentPm, pmViolation} from '../plan/pm-sizing.js'

/** fpm-set remedies that make each pool's pm settings pass php-fpm's own checks, keeping max_children. */
export function pmRepairRemedies(install: FpmInstallFacts, why: string): Remedy[] {
  const remedies: Remedy[] = []
  for (const pool of install.pools) {
    const settings = {
      pm: pool.pm.value,
      maxChildren: pool.maxChildren.value,
      startServers: pool.startServers.value,
      minSpare: pool.minSpare.value,
      maxSpare: pool.maxSpare.value,
    }
    const violation = pmViolation(settings)
    if (violation === undefined) continue
    const children = settings.maxChildren >= 1 ? settings.maxChildren : 5
    for (const [key, value] of Object.entries(consistentPm(settings, children))) {
      remedies.push({kind: 'fpm-set', install: install.id, pool: pool.name, key, value: String(value), reason: `${why}: [pool ${pool.name}] ${violation}`})
    }
  }
  return remedies
}

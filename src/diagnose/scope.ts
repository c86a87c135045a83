import {describeSite, formatAddress, type Pairing, type PoolRef} from '../facts/pairing.js'
import type {FindingScope} from '../model/finding.js'
import type {FastcgiSite} from '../model/facts.js'

export function poolScope(ref: PoolRef, sites: FastcgiSite[] = []): FindingScope {
  const version = ref.install.version === undefined ? '' : ` (php ${ref.install.version})`
  const served = sites.length === 0 ? '' : ` ← ${[...new Set(sites.map(describeSite))].join('; ')}`
  return {
    label: `pool ${ref.pool.name}${version} at ${formatAddress(ref.pool.listen.value)}${served}`,
    pool: {install: ref.install.id, name: ref.pool.name},
  }
}

export function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>()
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item)
  return [...seen.values()]
}

/** One address several places of nginx's config send to: every one of them, listed once. */
export function pairingsScope(pairings: Array<Pick<Pairing, 'site' | 'target'>>): FindingScope {
  const sites = uniqueBy(pairings, ({site}) => `${site.file}:${site.line}`)
  if (sites.length === 1) return siteScope(sites[0]!)
  const {site, target} = sites[0]!
  const places = sites.map((pairing) => `${describeSite(pairing.site)} (${pairing.site.file}:${pairing.site.line})`)
  return {
    label: `${formatAddress(target)} ← ${places.join('; ')}`,
    nginx: {file: site.file, line: site.line, server: site.server, location: site.location},
  }
}

export function siteScope(pairing: Pick<Pairing, 'site' | 'target'>): FindingScope {
  const {site} = pairing
  return {
    label: `${describeSite(site)} → ${formatAddress(pairing.target)} (${site.file}:${site.line})`,
    nginx: {file: site.file, line: site.line, server: site.server, location: site.location},
  }
}

export function hostScope(label: string): FindingScope {
  return {label}
}

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

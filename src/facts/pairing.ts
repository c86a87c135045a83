import type {Address, FastcgiSite, FpmInstallFacts, HostFacts, PoolFacts} from '../model/facts.js'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', 'ip6-localhost'])
const ANY = new Set(['0.0.0.0', '::', '*', '[::]'])

export function formatAddress(address: Address | undefined): string {
  if (address === undefined) return '(none)'
  if (address.kind === 'unix') return `unix:${address.path}`
  const host = address.host === undefined ? '*' : address.host.includes(':') ? `[${address.host}]` : address.host
  return `${host}:${address.port}`
}

function sameHost(a: string, b: string): boolean {
  return a === b || (LOOPBACK.has(a) && LOOPBACK.has(b))
}

/** Does a pool listening at `listen` accept what nginx sends to `target`? */
export function addressMatches(target: Address, listen: Address | undefined): boolean {
  if (listen === undefined || target.kind !== listen.kind) return false
  if (target.kind === 'unix' && listen.kind === 'unix') return target.path === listen.path
  if (target.kind === 'tcp' && listen.kind === 'tcp') {
    if (target.port !== listen.port) return false
    if (listen.host === undefined || ANY.has(listen.host)) return true
    return target.host !== undefined && sameHost(target.host, listen.host)
  }
  return false
}

export interface PoolRef {
  install: FpmInstallFacts
  pool: PoolFacts
}

export interface Pairing {
  site: FastcgiSite
  target: FastcgiSite['targets'][number]
  /** The pool configured to listen there, if any. */
  pool?: PoolRef
  /** Whether anything on the host listens at the target right now. */
  listening: boolean
}

export function allPools(facts: HostFacts): PoolRef[] {
  return facts.installs.flatMap((install) => install.pools.map((pool) => ({install, pool})))
}

export function isListening(facts: HostFacts, address: Address): boolean {
  if (address.kind === 'unix') return facts.listeningUnix.has(address.path)
  return facts.listeningTcp.some((listener) =>
    addressMatches(address, {kind: 'tcp', host: listener.host, port: listener.port}),
  )
}

/** Every nginx FastCGI target on the host, paired with the pool that listens there (or none). */
export function pairSites(facts: HostFacts): Pairing[] {
  const pools = allPools(facts)
  const pairings: Pairing[] = []
  for (const site of facts.nginx?.sites ?? []) {
    for (const target of site.targets) {
      const pool = pools.find((ref) => addressMatches(target, ref.pool.listen.value))
      pairings.push({site, target, ...(pool === undefined ? {} : {pool}), listening: isListening(facts, target)})
    }
  }
  return pairings
}

/** Sites whose traffic goes to this pool. */
export function sitesForPool(pairings: Pairing[], pool: PoolRef): Pairing[] {
  return pairings.filter((pairing) => pairing.pool?.pool === pool.pool)
}

export function describeSite(site: FastcgiSite): string {
  const server = site.server === '' ? 'server' : `server ${site.server}`
  return `${server} location ${site.location}`
}

import {hostPort} from '../model/address.js'
import type {Address, FastcgiSite, FpmInstallFacts, HostFacts, PoolFacts} from '../model/facts.js'
import {destinationsOf, listenerAccepts, normalizeHost} from './ip-address.js'

export function formatAddress(address: Address | undefined): string {
  if (address === undefined) return '(none)'
  return address.kind === 'unix' ? `unix:${address.path}` : hostPort(address.host ?? '*', address.port)
}

/** Where a unix address resolves on the host: the key two spellings of one socket share. */
export function unixKey(address: Extract<Address, {kind: 'unix'}>): string {
  return address.canonical ?? address.path
}

/**
 * Does a listener at `listen` accept what nginx sends to `target`? Unix sockets by where their paths
 * resolve; TCP by what the kernel accepts (see listenerAccepts), trying every address nginx would.
 */
export function addressMatches(target: Address, listen: Address | undefined): boolean {
  if (listen === undefined || target.kind !== listen.kind) return false
  if (target.kind === 'unix' && listen.kind === 'unix') return unixKey(target) === unixKey(listen)
  if (target.kind === 'tcp' && listen.kind === 'tcp') {
    if (target.port !== listen.port) return false
    if (target.host === undefined) return listen.host === undefined
    return destinationsOf(target.host).some((destination) => listenerAccepts(listen, destination))
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
  if (address.kind === 'unix') return facts.listeningUnix.has(unixKey(address))
  return facts.listeningTcp.some((listener) => addressMatches(address, {kind: 'tcp', ...listener}))
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

/** One key per address as the host sees it: two spellings of one socket, or of one IP, share it. */
export function addressKey(address: Address): string {
  return address.kind === 'unix' ? `unix:${unixKey(address)}` : `${normalizeHost(address.host ?? '*')}:${address.port}`
}

/** Pairings by the address they send to, in order of first appearance: one broken address, one finding. */
export function groupByAddress(pairings: Pairing[]): Pairing[][] {
  const groups = new Map<string, Pairing[]>()
  for (const pairing of pairings) {
    const key = addressKey(pairing.target)
    groups.set(key, [...(groups.get(key) ?? []), pairing])
  }
  return [...groups.values()]
}

/** Sites whose traffic goes to this pool. */
export function sitesForPool(pairings: Pairing[], pool: PoolRef): Pairing[] {
  return pairings.filter((pairing) => pairing.pool?.pool === pool.pool)
}

export function describeSite(site: FastcgiSite): string {
  const server = site.server === '' ? 'server' : `server ${site.server}`
  return `${server} location ${site.location}`
}

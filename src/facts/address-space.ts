import {posix} from 'node:path'

import type {Address, HostFacts} from '../model/facts.js'
import {addressMatches} from './pairing.js'

/** Where pools may not listen: every pool's configured address and everything listening on the host. */
export interface AddressSpace {
  taken: Address[]
  tcpPorts: Set<number>
  unixPaths: Set<string>
  /** Directories known to exist (a new socket must go in one). */
  dirs: Set<string>
}

export function addressSpace(facts: HostFacts): AddressSpace {
  const taken = facts.installs.flatMap((install) =>
    install.pools.flatMap((pool) => (pool.listen.value === undefined ? [] : [pool.listen.value])),
  )
  const dirs = new Set(
    [...facts.paths.values()].filter((stat) => stat.exists && stat.type === 'directory').map((stat) => stat.path),
  )
  for (const address of taken) if (address.kind === 'unix') dirs.add(posix.dirname(address.path))
  return {
    taken,
    tcpPorts: new Set(facts.listeningTcp.map((listener) => listener.port)),
    unixPaths: new Set(facts.listeningUnix),
    dirs,
  }
}

export function isTaken(space: AddressSpace, address: Address): boolean {
  if (space.taken.some((other) => addressMatches(address, other) || addressMatches(other, address))) return true
  return address.kind === 'tcp' ? space.tcpPorts.has(address.port) : space.unixPaths.has(address.path)
}

/** Claim an address so a later pool of the same plan does not get it too. */
export function claim(space: AddressSpace, address: Address): Address {
  space.taken.push(address)
  return address
}

/** The first port after `from` on `host` that no pool has and nothing listens on. */
export function freePort(space: AddressSpace, host: string | undefined, from: number): Address | undefined {
  for (let port = from + 1; port <= 65535; port++) {
    const address: Address = host === undefined ? {kind: 'tcp', port} : {kind: 'tcp', host, port}
    if (!isTaken(space, address)) return address
  }
  return undefined
}

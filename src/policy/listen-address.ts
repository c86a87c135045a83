import {posix} from 'node:path'

import {addressMatches} from '../facts/pairing.js'
import type {Address, FpmInstallFacts, HostFacts} from '../model/facts.js'
import {pathForVersion} from './version-paths.js'

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

function freePort(space: AddressSpace, host: string | undefined, from: number): Address | undefined {
  for (let port = from + 1; port <= 65535; port++) {
    const address: Address = host === undefined ? {kind: 'tcp', port} : {kind: 'tcp', host, port}
    if (!isTaken(space, address)) return address
  }
  return undefined
}

function withSuffix(path: string, suffix: string): string {
  const ext = path.endsWith('.sock') ? '.sock' : ''
  return `${path.slice(0, path.length - ext.length)}${suffix}${ext}`
}

/**
 * A listen address of its own for pool `pool` of the target install, never one another pool has
 * or anything listens on. A unix socket follows the layout's naming: the old path with its version
 * rewritten (php8.1-fpm.sock → php8.2-fpm.sock, /var/opt/remi/php81/… → …/php82/…), else the
 * target's own socket name with the pool appended (php8.2-fpm-app.sock), in a directory that exists;
 * a TCP address keeps its host and takes the next free port.
 */
export function addressFor(
  space: AddressSpace,
  pool: string,
  old: Address,
  versions: {from: string; to: string},
  target: FpmInstallFacts,
): Address | undefined {
  if (old.kind === 'tcp') return freePort(space, old.host, old.port)
  const candidates: string[] = []
  const rewritten = pathForVersion(old.path, versions)
  if (rewritten !== old.path) candidates.push(rewritten)
  const own = target.pools.map((entry) => entry.listen.value).find((address) => address?.kind === 'unix')
  const base = own?.kind === 'unix' ? own.path : rewritten
  candidates.push(withSuffix(base, `-${pool}`))
  for (let index = 2; index < 10; index++) candidates.push(withSuffix(base, `-${pool}-${index}`))
  for (const path of candidates) {
    const address: Address = {kind: 'unix', path}
    if (space.dirs.has(posix.dirname(path)) && !isTaken(space, address)) return address
  }
  return undefined
}

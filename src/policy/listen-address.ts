import {posix} from 'node:path'

import {freePort, isTaken, type AddressSpace} from '../facts/address-space.js'
import type {Address, FpmInstallFacts} from '../model/facts.js'
import {pathForVersion} from './version-paths.js'

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

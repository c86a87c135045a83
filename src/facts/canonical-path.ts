import type {Address} from '../model/facts.js'
import type {HostSnapshot} from '../model/snapshot.js'

/**
 * One socket can be named through a symlinked directory: Debian's nginx sites often say
 * /var/run/php/php8.2-fpm.sock while php-fpm binds /run/php/php8.2-fpm.sock (/var/run → /run).
 * Returns a function mapping a path to where it resolves on the host, from the gathered
 * realPath of the socket itself or, for a socket that does not exist, of its directories.
 */
export function canonicalPathResolver(snapshot: Pick<HostSnapshot, 'sockets' | 'dirs'>): (path: string) => string {
  const resolved = [...snapshot.sockets, ...snapshot.dirs].filter(
    (stat) => stat.exists && stat.realPath !== undefined && stat.realPath !== stat.path,
  )
  const sockets = new Map(
    resolved.filter((stat) => stat.type !== 'directory').map((stat) => [stat.path, stat.realPath!]),
  )
  const dirs = resolved.filter((stat) => stat.type === 'directory').sort((a, b) => b.path.length - a.path.length)
  return (path) => {
    const socket = sockets.get(path)
    if (socket !== undefined) return socket
    const dir = dirs.find((stat) => path.startsWith(`${stat.path}/`))
    return dir === undefined ? path : `${dir.realPath!}${path.slice(dir.path.length)}`
  }
}

/** The address with where a unix path resolves recorded beside the spelling it was written with. */
export function canonicalAddress<T extends Address>(address: T, canonical: (path: string) => string): T {
  if (address.kind !== 'unix') return address
  const resolved = canonical(address.path)
  return resolved === address.path ? address : {...address, canonical: resolved}
}

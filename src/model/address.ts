import type {Address} from './facts.js'

/**
 * Which addresses a listener bound to `host` takes when it binds every address rather than one:
 * `'any'` both families (no host, `''` or `*`: php-fpm's `listen = 9000`, ss's dual-stack `*`),
 * `4` every IPv4 address (`0.0.0.0`), `6` every IPv6 address (`::`, `[::]`; IPv4 too unless
 * IPV6_V6ONLY). Undefined for a listener bound to one address.
 */
export function listenAll(host: string | undefined): 'any' | 4 | 6 | undefined {
  if (host === undefined || host === '' || host === '*') return 'any'
  if (host === '0.0.0.0') return 4
  if (host === '::' || host === '[::]') return 6
  return undefined
}

export function isListenAll(host: string | undefined): boolean {
  return listenAll(host) !== undefined
}

/** The address to dial to reach a listener bound to `host`: loopback for a listen-all address (`::1` for IPv6's), else the host itself. */
export function dialHost(host: string | undefined): string {
  const all = listenAll(host)
  return all === undefined ? host! : all === 6 ? '::1' : '127.0.0.1'
}

/** Where to connect to reach a TCP listener. */
export function dialable(listen: {host?: string; port: number}): {host: string; port: number} {
  return {host: dialHost(listen.host), port: listen.port}
}

/** A host as it stands before `:port` in nginx's config, URLs and Host headers: an IPv6 address in brackets. */
export function bracketHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/** `127.0.0.1:9000`, `[::1]:9000`. */
export function hostPort(host: string, port: number): string {
  return `${bracketHost(host)}:${port}`
}

/** How nginx's fastcgi_pass, upstream `server` or `set` names a pool: its socket path as the pool spells it, or where to dial it. */
export function nginxAddress(address: Address): string {
  return address.kind === 'unix' ? `unix:${address.path}` : hostPort(dialHost(address.host), address.port)
}

import {FpmfixError} from '../errors.js'
import {bracketHost, hostPort} from '../model/address.js'
import type {FastcgiSite} from '../model/facts.js'
import type {HostTarget} from '../model/target.js'
import {PROBE_PATH, serverDial} from '../plan/verification.js'
import type {HttpTarget} from './load-here.js'
import type {RouteSpec} from './types.js'

/** What one --url asked for: a path on the host's first PHP server, or a server named by Host header and port. */
export type RouteRequest = {kind: 'path'; path: string} | {kind: 'named'; name: string; port: number; path: string}

/** The request path's characters: no spaces, controls or fragment, so the request line stays one line. */
const PATH = /^\/[\x21-\x7e]*$/

/** Parse one --url value (`/PATH` or `http://NAME[:PORT]/PATH`) or say why not. */
export function parseRouteRequest(value: string): RouteRequest {
  const usage = (why: string): FpmfixError =>
    new FpmfixError('USAGE', `--url ${value}: ${why}`, {
      hint: 'Give a path (--url /health.php) or a plain-HTTP URL naming the server block (--url http://shop.example.com/index.php).',
    })
  if (value.startsWith('/')) {
    if (!PATH.test(value) || value.includes('#')) throw usage('a path has no spaces, control characters or #fragment')
    return {kind: 'path', path: value}
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw usage('not a path or a URL')
  }
  if (url.protocol !== 'http:') throw usage('only plain http:// is spoken (the host’s own listener, no TLS)')
  if (url.username !== '' || url.password !== '') throw usage('credentials in the URL are not sent')
  const path = `${url.pathname}${url.search}`
  if (!PATH.test(path)) throw usage('the path has characters that cannot go in a request line')
  return {kind: 'named', name: url.hostname, port: url.port === '' ? 80 : Number(url.port), path}
}

interface Server {
  dial: {host: string; port: number}
  /** The Host header apply's probe sends (the first usable server_name), if any. */
  hostHeader?: string
  names: string[]
  path: string
  site: string
}

function hostHeaderFor(name: string, port: number): string {
  return port === 80 ? bracketHost(name) : hostPort(name, port)
}

/** Every plain-HTTP server block that passes to PHP, once, addressed as apply's HTTP probe addresses it. */
function serversOf(sites: readonly FastcgiSite[]): Server[] {
  const servers: Server[] = []
  for (const site of sites) {
    const server = serverDial(site)
    if (server === undefined) continue
    const {dial, hostHeader} = server
    const key = `${dial.host} ${dial.port} ${hostHeader ?? ''}`
    if (servers.some((known) => `${known.dial.host} ${known.dial.port} ${known.hostHeader ?? ''}` === key)) continue
    servers.push({
      dial,
      ...(hostHeader === undefined ? {} : {hostHeader}),
      names: site.server.split(' ').filter((name) => name !== ''),
      path: PROBE_PATH,
      site: `${site.file}:${site.line}`,
    })
  }
  return servers
}

/** nginx's exact, `.example.com` and `*.example.com` / `www.*` server names (regular expressions are not tried). */
export function serverNameMatches(pattern: string, name: string): boolean {
  const wanted = pattern.toLowerCase()
  const host = name.toLowerCase()
  if (wanted.startsWith('.')) return host === wanted.slice(1) || host.endsWith(wanted)
  if (wanted.startsWith('*.')) return host.endsWith(wanted.slice(1))
  if (wanted.endsWith('.*')) return host.startsWith(wanted.slice(0, -1))
  return host === wanted
}

function routeOf(server: Server, path: string, source: RouteSpec['source']): RouteSpec {
  const hostHeader = server.hostHeader ?? hostHeaderFor(server.dial.host, server.dial.port)
  return {url: `http://${hostHeader}${path}`, hostDial: server.dial, path, hostHeader, source, fastcgiPass: server.site}
}

/**
 * The routes to load on one host. Without --url: one per plain-HTTP server block that passes to
 * PHP (apply's probe URL). `--url /PATH` goes to the first of those; `--url http://NAME[:PORT]/PATH`
 * to the server block with that name and port when there is one, else to the host's loopback on
 * that port, with NAME as the Host header. Every connection stays on the host's own addresses.
 */
export function deriveRoutes(
  sites: readonly FastcgiSite[],
  requests: readonly RouteRequest[],
  host: string,
): RouteSpec[] {
  const servers = serversOf(sites)
  const noServer = (): FpmfixError =>
    new FpmfixError('VERIFY_NO_ROUTE', 'no nginx server block on plain HTTP passes requests to PHP-FPM', {
      host,
      hint: 'Name the route with --url http://NAME:PORT/PATH (sent to the host itself with NAME as the Host header).',
    })
  if (requests.length === 0) {
    if (servers.length === 0) throw noServer()
    return servers.map((server) => routeOf(server, server.path, 'server-block'))
  }
  const routes = requests.map((request): RouteSpec => {
    if (request.kind === 'path') {
      const first = servers[0]
      if (first === undefined) throw noServer()
      return routeOf(first, request.path, 'flag')
    }
    const server = servers.find(
      (candidate) =>
        candidate.dial.port === request.port && candidate.names.some((entry) => serverNameMatches(entry, request.name)),
    )
    const hostHeader = hostHeaderFor(request.name, request.port)
    return {
      url: `http://${hostHeader}${request.path}`,
      hostDial: server?.dial ?? {host: '127.0.0.1', port: request.port},
      path: request.path,
      hostHeader,
      source: 'flag',
      ...(server === undefined ? {} : {fastcgiPass: server.site}),
    }
  })
  return routes.filter(
    (route, index) =>
      routes.findIndex((other) => other.url === route.url && other.hostDial.host === route.hostDial.host) === index,
  )
}

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|localhost)$/i

/**
 * Where a route's requests connect. From the host: the address it listens on (its loopback for
 * a listen-all). From here: the same port at the host's own address, unless the server listens on
 * one specific non-loopback address; this machine dials as the host would.
 */
export function dialFor(route: RouteSpec, from: 'host' | 'here', target: HostTarget): HttpTarget {
  const {host, port} = route.hostDial
  const dialHost = from === 'host' || target.connection === 'local' || !LOOPBACK.test(host) ? host : target.address
  return {host: dialHost, port, path: route.path, hostHeader: route.hostHeader}
}

/**
 * PHP CLIs that may run the load program, most likely first: `php`, then the CLI each php-fpm
 * binary ships beside it (php-fpm8.2 → php8.2, /opt/remi/php82/root/usr/sbin/php-fpm →
 * /opt/remi/php82/root/usr/bin/php, /usr/local/sbin/php-fpm → /usr/local/bin/php).
 */
export function phpCliCandidates(fpmBinaries: readonly string[]): string[] {
  const candidates = ['php']
  for (const binary of fpmBinaries) {
    const match = /^(.*)\/s?bin\/php-fpm([^/]*)$/.exec(binary)
    if (!match) continue
    const name = `php${match[2]}`
    for (const candidate of [`${match[1]}/bin/${name}`, name]) {
      if (!candidates.includes(candidate) && /^[\w./+-]+$/.test(candidate)) candidates.push(candidate)
    }
  }
  return candidates
}

import {hostPort} from '../model/address.js'

export type NginxAddress = {kind: 'unix'; path: string} | {kind: 'tcp'; host: string; port: number}

export type ParsedAddress = NginxAddress | {kind: 'invalid'; value: string; reason: string}

/**
 * Parses an nginx peer address the way ngx_parse_url does: `unix:/path`,
 * `host:port`, `[ipv6]:port`. `defaultPort` applies when no port is written
 * (80 for `server` in an upstream block; fastcgi_pass has none, so a bare host is invalid).
 */
export function parseNginxAddress(value: string, defaultPort?: number): ParsedAddress {
  if (/^unix:/i.test(value)) {
    const path = value.slice(5)
    return path === '' ? invalid(value, 'no socket path after "unix:"') : {kind: 'unix', path}
  }
  let host: string
  let portText: string | undefined
  if (value.startsWith('[')) {
    const close = value.indexOf(']')
    if (close === -1) return invalid(value, 'no closing "]" in the IPv6 address')
    host = value.slice(1, close)
    const rest = value.slice(close + 1)
    if (rest !== '' && !rest.startsWith(':')) return invalid(value, `unexpected "${rest}" after the IPv6 address`)
    portText = rest === '' ? undefined : rest.slice(1)
  } else {
    const colon = value.indexOf(':')
    host = colon === -1 ? value : value.slice(0, colon)
    portText = colon === -1 ? undefined : value.slice(colon + 1)
  }
  if (host === '') return invalid(value, 'no host')
  if (portText === undefined) {
    return defaultPort === undefined ? invalid(value, 'no port') : {kind: 'tcp', host, port: defaultPort}
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN
  if (!(port >= 1 && port <= 65535)) return invalid(value, `invalid port "${portText}"`)
  return {kind: 'tcp', host, port}
}

function invalid(value: string, reason: string): ParsedAddress {
  return {kind: 'invalid', value, reason}
}

/** The address as nginx writes it in logs and config: `unix:/run/x.sock`, `127.0.0.1:9000`, `[::1]:9000`. */
export function formatNginxAddress(address: NginxAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`
  return hostPort(address.host, address.port)
}

import {hostPort, listenAll} from '../model/address.js'
import type {ListenAddress} from './types.js'

/** C atoi: optional sign and leading digits; anything else stops it (0 when none). */
export function atoi(text: string): number {
  const match = /^[ \t]*([+-]?\d+)/.exec(text)
  return match ? Number.parseInt(match[1]!, 10) : 0
}

/**
 * A php-fpm time value in seconds, as fpm_conf_set_time reads it: a trailing
 * s, m, h or d, or bare seconds (`30s`, `5m`, `1h`, `2d`, `45`). Undefined when
 * php-fpm would refuse it.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim()
  if (value === '') return undefined
  const suffix = value.at(-1)!
  const multiplier = {s: 1, m: 60, h: 3600, d: 86_400}[suffix as 's' | 'm' | 'h' | 'd']
  if (multiplier !== undefined) return atoi(value.slice(0, -1)) * multiplier
  if (suffix < '0' || suffix > '9') return undefined
  return atoi(value)
}

/** A PHP ini size (`128M`, `1G`, `512K`, `-1`) in bytes, as zend_atol reads it. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(-?\d+)\s*([kKmMgG]?)\s*$/.exec(text)
  if (!match) return undefined
  const factor = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3}[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']
  return Number.parseInt(match[1]!, 10) * factor
}

/** `listen.mode` as strtoul(value, 0, 8) reads it; undefined when no octal digit leads. */
export function parseOctalMode(text: string): number | undefined {
  const match = /^\s*([0-7]+)/.exec(text)
  return match ? Number.parseInt(match[1]!, 8) : undefined
}

/** An address as php-fpm's `listen` takes it: a socket path, `host:port`, or a bare port for every address. */
export function formatListen(address: ListenAddress): string {
  if (address.kind === 'unix') return address.path
  return address.host === undefined ? String(address.port) : hostPort(address.host, address.port)
}

/**
 * A `listen` value, classified the way fpm_sockets_domain_from_address does:
 * anything with a `:` or made only of digits is TCP, the rest is a unix path
 * (relative paths are taken from `prefix`). A TCP host of `*` or none means
 * every address.
 */
export function parseListen(text: string, prefix?: string): ListenAddress | undefined {
  const value = text.trim()
  if (value === '') return undefined
  if (/^\d+$/.test(value)) return {kind: 'tcp', port: Number(value)}
  if (value.includes(':')) return parseTcpListen(value)
  if (value.startsWith('/') || prefix === undefined) return {kind: 'unix', path: value}
  return {kind: 'unix', path: `${prefix.replace(/\/+$/, '')}/${value}`}
}

function parseTcpListen(value: string): ListenAddress | undefined {
  const bracketed = /^\[([^\]]*)\]:(\d+)$/.exec(value)
  if (bracketed) return tcp(bracketed[1]!, bracketed[2]!)
  const colon = value.lastIndexOf(':')
  const port = value.slice(colon + 1)
  if (!/^\d+$/.test(port)) return undefined
  return tcp(value.slice(0, colon), port)
}

function tcp(host: string, port: string): ListenAddress {
  return listenAll(host) === 'any' ? {kind: 'tcp', port: Number(port)} : {kind: 'tcp', host, port: Number(port)}
}

/** Split a comma-separated list (`listen.acl_users`, `listen.allowed_clients`). */
export function splitList(text: string | undefined): string[] {
  if (text === undefined) return []
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

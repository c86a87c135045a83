import {isIP} from 'node:net'

import {listenAll} from '../model/address.js'

/**
 * TCP addresses as the kernel pairs them: which listener accepts a connection nginx makes.
 * Names other than localhost are not resolved here (a container's `php:9000` is only known
 * to reach a wildcard listener).
 */

/** `[::1]` → `::1`, `fe80::1%eth0` → `fe80::1`, `::ffff:127.0.0.1` → `127.0.0.1`, IPv6 in its shortest form. */
export function normalizeHost(host: string): string {
  const bare = host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .toLowerCase()
  const mapped = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1]!
  return isIP(bare) === 6 ? shortIpv6(bare) : bare
}

function shortIpv6(address: string): string {
  const [head = '', tail] = address.split('::')
  const parts = (text: string) => (text === '' ? [] : text.split(':'))
  const groups =
    tail === undefined
      ? parts(head)
      : [...parts(head), ...Array(8 - parts(head).length - parts(tail).length).fill('0'), ...parts(tail)]
  const words = groups.map((group) => Number.parseInt(group, 16).toString(16))
  // RFC 5952: the longest run of two or more zero words becomes `::`.
  let best = {start: -1, length: 1}
  for (let start = 0; start < words.length;) {
    let end = start
    while (end < words.length && words[end] === '0') end++
    if (end - start > best.length) best = {start, length: end - start}
    start = end === start ? start + 1 : end
  }
  if (best.start === -1) return words.join(':')
  return `${words.slice(0, best.start).join(':')}::${words.slice(best.start + best.length).join(':')}`
}

export function ipFamily(host: string): 4 | 6 | undefined {
  const family = isIP(normalizeHost(host))
  return family === 4 || family === 6 ? family : undefined
}

/** The addresses nginx connects to for a host as written: itself, or both loopbacks for localhost (it tries each). */
export function destinationsOf(host: string): string[] {
  const name = normalizeHost(host)
  if (name === 'localhost' || name === 'localhost.localdomain') return ['127.0.0.1', '::1']
  if (name === 'ip6-localhost' || name === 'ip6-loopback') return ['::1']
  return [name]
}

/**
 * Does a listener bound at `listen` accept a connection to `destination`? `0.0.0.0` takes every IPv4
 * address, `::` every IPv6 address and IPv4 too unless IPV6_V6ONLY (Linux's default, bindv6only=0,
 * leaves it off), no host (php-fpm's `listen = PORT`) takes both; otherwise the addresses must be the
 * same — `[::1]` and `127.0.0.1` are two listeners.
 */
export function listenerAccepts(listen: {host?: string; v6only?: boolean}, destination: string): boolean {
  const bound = listen.host === undefined ? undefined : normalizeHost(listen.host)
  const all = listenAll(bound)
  const family = ipFamily(destination)
  if (all === 'any') return true
  if (all === 4) return family !== 6
  if (all === 6) return family !== 4 || listen.v6only !== true
  return bound === normalizeHost(destination)
}

/** Where nginx's connection to a loopback destination comes from (the kernel picks the loopback source). */
export function loopbackSource(destination: string): string | undefined {
  const address = normalizeHost(destination)
  if (ipFamily(address) === 4 && address.startsWith('127.')) return '127.0.0.1'
  if (address === '::1') return '::1'
  return undefined
}

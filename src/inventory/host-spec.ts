import {FpmfixError} from '../errors.js'

/** A command-line host: `[user@]host[:port]`, `[user@][ipv6]:port` or a bare IPv6 address. */
export interface HostSpec {
  user: string | undefined
  /** Host name or address, IPv6 without brackets. */
  host: string
  port: number | undefined
  /** The spec without the user, as reports name an ad-hoc host (`web1:2222`, `[::1]:22`). */
  name: string
  /** Marked as a host by a user, a port, brackets, a dot or an IPv6 colon (not just a bare word). */
  explicit: boolean
}

const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$/
const IPV6_ADDRESS = /^(?=.*:.*:)[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/

export function isIpv6Address(text: string): boolean {
  return IPV6_ADDRESS.test(text)
}

/**
 * Parse a host spec, or return undefined when the text is not shaped like one
 * (so it can be read as a pattern instead). Throws BAD_TARGET when it is clearly
 * meant as a host but is unusable: an empty user, a port outside 1–65535.
 */
export function parseHostSpec(text: string): HostSpec | undefined {
  const at = text.lastIndexOf('@')
  const user = at === -1 ? undefined : text.slice(0, at)
  const rest = at === -1 ? text : text.slice(at + 1)
  if (user !== undefined && !USER_NAME.test(user)) {
    throw badTarget(text, user === '' ? 'the user before @ is empty' : `'${user}' is not a valid user name`)
  }
  const address = splitAddress(text, rest)
  if (address === undefined) {
    if (user !== undefined) throw badTarget(text, `'${rest}' is not a host name, an IP address or [IPv6]:port`)
    return undefined
  }
  const {host, portText, bracketed} = address
  const port = portText === undefined ? undefined : parsePortNumber(portText)
  if (portText !== undefined && port === undefined)
    throw badTarget(text, `port '${portText}' is not a number from 1 to 65535`)
  const hostPart = bracketed ? `[${host}]` : host
  return {
    user,
    host,
    port,
    name: port === undefined ? host : `${hostPart}:${port}`,
    explicit: user !== undefined || port !== undefined || bracketed || host.includes('.') || host.includes(':'),
  }
}

/** A TCP port from text: a whole number 1–65535, else undefined. */
export function parsePortNumber(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text.trim())) return undefined
  const port = Number(text.trim())
  return port >= 1 && port <= 65535 ? port : undefined
}

function splitAddress(
  text: string,
  rest: string,
): {host: string; portText: string | undefined; bracketed: boolean} | undefined {
  if (rest.startsWith('[')) {
    const match = /^\[([^\]]+)\](?::([^:]*))?$/.exec(rest)
    if (!match || !(isIpv6Address(match[1] as string) || HOST_NAME.test(match[1] as string))) {
      throw badTarget(text, 'brackets must hold an IPv6 address, as in [2001:db8::1]:22')
    }
    return {host: match[1] as string, portText: match[2], bracketed: true}
  }
  if (isIpv6Address(rest)) return {host: rest, portText: undefined, bracketed: false}
  const colon = rest.indexOf(':')
  const host = colon === -1 ? rest : rest.slice(0, colon)
  const portText = colon === -1 ? undefined : rest.slice(colon + 1)
  if (!HOST_NAME.test(host)) return undefined
  if (portText !== undefined && !/^[0-9]+$/.test(portText)) return undefined
  return {host, portText, bracketed: false}
}

function badTarget(text: string, what: string): FpmfixError {
  return new FpmfixError('BAD_TARGET', `target '${text}': ${what}`, {
    hint: 'Write a host as [user@]host[:port], an IPv6 address as [user@][2001:db8::1]:port.',
    details: {target: text},
  })
}

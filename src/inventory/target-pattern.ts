import {FpmfixError} from '../errors.js'
import {isIpv6Address} from './host-spec.js'

export type TermOperator = 'union' | 'intersection' | 'exclusion'

export interface PatternTerm {
  operator: TermOperator
  /** The name, wildcard or host spec, without its & or ! prefix. */
  text: string
}

/**
 * Split one target argument into Ansible pattern terms.
 *
 * `,` always separates terms (`web,db`, and `web1,` for a single host). A `:` separates
 * terms too (`web:db`, `web:&staging`, `all:!db1`) unless the piece is a known inventory
 * name or shaped like one host: `user@…`, `name:PORT` with a numeric port, `[ipv6]:port`
 * or a bare IPv6 address. So `web1:2222` is one host with a port and `web:db` is two
 * groups; prefer `,` for unions to leave no doubt.
 */
export function splitTargetPattern(argument: string, isKnownName: (name: string) => boolean): PatternTerm[] {
  return argument
    .split(',')
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '')
    .flatMap((piece) => (keepsColons(piece, isKnownName) ? [piece] : piece.split(':')))
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '')
    .map((piece) => toTerm(piece, argument))
}

function keepsColons(piece: string, isKnownName: (name: string) => boolean): boolean {
  const body = piece.replace(/^[&!]/, '')
  if (!body.includes(':') || isKnownName(body)) return true
  return (
    body.includes('@') || /^\[[^\]]*\](?::[0-9]*)?$/.test(body) || isIpv6Address(body) || /^[^:[\]]+:[0-9]+$/.test(body)
  )
}

function toTerm(piece: string, argument: string): PatternTerm {
  const operator: TermOperator = piece.startsWith('&') ? 'intersection' : piece.startsWith('!') ? 'exclusion' : 'union'
  const text = operator === 'union' ? piece : piece.slice(1).trim()
  if (text === '') {
    throw new FpmfixError('USAGE', `target pattern '${argument}' has a '${piece}' with nothing after it`, {
      hint: "Write &NAME to intersect and !NAME to exclude, e.g. 'web:&staging' or 'all:!db1'.",
    })
  }
  return {operator, text}
}

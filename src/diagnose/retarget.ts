import type {Pairing} from '../facts/pairing.js'
import {nginxAddress} from '../model/address.js'
import type {Remedy} from '../model/finding.js'
import type {Address} from '../model/facts.js'

export {nginxAddress}

export type NginxSet = Extract<Remedy, {kind: 'nginx-set'}>

/**
 * The edits that make one place of nginx's config send to `address` instead: the upstream `server`
 * line that names the old address, the fastcgi_pass itself, or — for `fastcgi_pass $var` — every
 * `set` of that variable reaching the location, when each is a literal naming the old address.
 * Anything else (a map, a variable with several values, an address built from variables) would drop
 * values other requests rely on: refused, with the reason.
 */
export function retarget(
  pairing: Pick<Pairing, 'site' | 'target'>,
  address: Address,
  reason: string,
): {remedies: NginxSet[]} | {refused: string} {
  const {site, target} = pairing
  const value = nginxAddress(address)
  if (target.directive === 'server')
    return {
      remedies: [
        {
          kind: 'nginx-set',
          file: target.file,
          line: target.line,
          directive: 'server',
          args: [value, ...(target.params ?? [])],
          reason,
        },
      ],
    }
  if (site.variable === undefined)
    return {
      remedies: [
        {kind: 'nginx-set', file: target.file, line: target.line, directive: 'fastcgi_pass', args: [value], reason},
      ],
    }
  const {expr} = site.variable
  const name = /^\$(?:\{(\w+)\}|(\w+))$/.exec(expr)
  if (name === null) return {refused: `the address is built from variables (fastcgi_pass ${expr})`}
  const variable = `$${name[1] ?? name[2]}`
  const sources = site.variable.sources.filter((source) => source.variable === variable)
  const defined = sources.filter((source) => source.kind !== 'set')
  if (defined.length > 0) {
    const where = defined.map((source) => `${source.kind} at ${source.file}:${source.line}`).join(', ')
    return {refused: `${expr} comes from a ${where}, which gives other requests other values`}
  }
  const values = [...new Set(sources.map((source) => source.value ?? ''))]
  if (values.some((value) => value.includes('$')))
    return {refused: `${expr} is set from other variables (${values.join(', ')})`}
  if (values.length !== 1 || site.targets.length !== 1)
    return {refused: `${expr} is set to several values (${values.join(', ')}) — not guessing which to change`}
  return {
    remedies: sources.map((source) => ({
      kind: 'nginx-set',
      file: source.file,
      line: source.line,
      directive: 'set',
      args: [variable, value],
      reason,
    })),
  }
}

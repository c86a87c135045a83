import {addressMatches, formatAddress, sitesForPool, type Pairing, type PoolRef} from '../facts/pairing.js'
import {nginxAddress} from '../model/address.js'
import type {Address} from '../model/facts.js'
import type {Remedy} from '../model/finding.js'
import {parseNginxAddress} from '../nginx/index.js'

type NginxSet = Extract<Remedy, {kind: 'nginx-set'}>

/**
 * How far behind `fastcgi_pass $var` a rewrite may reach.
 * - `sole-value` (a repair): only a variable whose one value comes from literal `set`s. A map, or
 *   sets giving several values, may send some requests to the old address on purpose: refused.
 * - `every-value` (a move): every `set`, map, geo or split_clients value naming the old address,
 *   since everything sent there moves.
 */
export type Reach = 'sole-value' | 'every-value'

export interface RetargetRequest {
  to: Address
  reason: string
  reach: Reach
  /** The address being left: a `set` or map value naming it is rewritten. The pairing's target unless given. */
  from?: Address
}

/** Does a value written in nginx's config name `address`: the same spelling, or a path that resolves there? */
function namesAddress(value: string | undefined, address: Address): boolean {
  if (value === undefined) return false
  const parsed = parseNginxAddress(value)
  if (parsed.kind === 'invalid') return false
  if (parsed.kind === 'unix')
    // /var/run is /run on every distro fpmfix knows; a written value may use either.
    return (
      (address.kind === 'unix' && parsed.path === address.path) ||
      addressMatches({...parsed, path: parsed.path.replace(/^\/var\/run\//, '/run/')}, address)
    )
  return (
    (address.kind === 'tcp' && parsed.host === address.host && parsed.port === address.port) ||
    addressMatches(parsed, address)
  )
}

/** Why a `sole-value` rewrite of `fastcgi_pass $var` is refused, or undefined when its one value may be rewritten. */
function soleValueRefusal(
  site: Pairing['site'],
  variable: NonNullable<Pairing['site']['variable']>,
): string | undefined {
  const {expr} = variable
  const name = /^\$(?:\{(\w+)\}|(\w+))$/.exec(expr)
  if (name === null) return `the address is built from variables (fastcgi_pass ${expr})`
  const sources = variable.sources.filter((source) => source.variable === `$${name[1] ?? name[2]}`)
  const defined = sources.filter((source) => source.kind !== 'set')
  if (defined.length > 0) {
    const where = defined.map((source) => `${source.kind} at ${source.file}:${source.line}`).join(', ')
    return `${expr} comes from a ${where}, which gives other requests other values`
  }
  const values = [...new Set(sources.map((source) => source.value ?? ''))]
  if (values.some((value) => value.includes('$'))) return `${expr} is set from other variables (${values.join(', ')})`
  if (values.length !== 1 || site.targets.length !== 1)
    return `${expr} is set to several values (${values.join(', ')}) — not guessing which to change`
  return undefined
}

/**
 * The edits that make one place of nginx's config send to `to` instead: the upstream `server` line
 * that names the old address (keeping its parameters), the fastcgi_pass itself, or — for
 * `fastcgi_pass $var` — the `set`s and map values that give the variable the old address, as far
 * as `reach` allows. Anything else would drop values other requests rely on: refused, with the reason.
 */
export function retarget(
  pairing: Pick<Pairing, 'site' | 'target'>,
  request: RetargetRequest,
): {remedies: NginxSet[]} | {refused: string} {
  const {site, target} = pairing
  const {reason} = request
  const from = request.from ?? target
  const value = nginxAddress(request.to)
  const edit = (place: {file: string; line: number}, directive: string, args: string[]): NginxSet => ({
    kind: 'nginx-set',
    file: place.file,
    line: place.line,
    directive,
    args,
    reason,
  })
  if (target.directive === 'server') return {remedies: [edit(target, 'server', [value, ...(target.params ?? [])])]}
  if (site.variable === undefined) return {remedies: [edit(target, 'fastcgi_pass', [value])]}
  const refused = request.reach === 'sole-value' ? soleValueRefusal(site, site.variable) : undefined
  if (refused !== undefined) return {refused}
  const remedies = site.variable.sources.flatMap((source) =>
    source.kind === 'set'
      ? namesAddress(source.value, from)
        ? [edit(source, 'set', [source.variable, value])]
        : []
      : (source.entries ?? [])
          .filter((entry) => namesAddress(entry.value, from))
          .map((entry) => edit(entry, entry.key, [value])),
  )
  if (remedies.length === 0)
    return {refused: `no set or map value behind ${site.variable.expr} names ${formatAddress(from)} by itself`}
  return {remedies}
}

/**
 * Every place nginx names a pool (fastcgi_pass, upstream server, a literal set) pointed at `to`,
 * or why not: nginx's address for the pool comes from something only the operator can change.
 */
export function retargetPool(
  pairings: Pairing[],
  ref: PoolRef,
  to: Address,
  reason: string,
): {remedies: Remedy[]} | {refused: string} {
  const edits = sitesForPool(pairings, ref).map((pairing) => retarget(pairing, {to, reason, reach: 'sole-value'}))
  const refused = edits.flatMap((edit) => ('refused' in edit ? [edit.refused] : []))
  if (refused.length > 0)
    return {refused: `nginx's address for the pool cannot be changed with it: ${[...new Set(refused)].join('; ')}`}
  return {remedies: edits.flatMap((edit) => ('remedies' in edit ? edit.remedies : []))}
}

import {nginxAddress} from '../diagnose/retarget.js'
import {addressMatches, describeSite, formatAddress, type Pairing} from '../facts/pairing.js'
import type {PolicyLine} from '../model/desired.js'
import type {Address, FpmInstallFacts, PoolFacts} from '../model/facts.js'
import type {Remedy} from '../model/finding.js'
import type {DriftItem} from '../model/plan.js'
import {findFastcgiPasses, parseNginxAddress, walkNginx, type NginxConfig, type NginxDirective} from '../nginx/index.js'
import type {DesiredChange} from './desired-change.js'
import {shortVersion} from './pool-view.js'

/** A pool of an old version and where its replacement on the target version listens. */
export interface PoolMove {
  from: {install: FpmInstallFacts; pool: PoolFacts}
  to: {install: FpmInstallFacts; pool: string; address: Address}
  /** The policy line that asks for the move ([php] version, or a pool's listen). */
  at: PolicyLine
}

/** One place in nginx's config that names an address: the directive and which argument. */
interface Spot {
  file: string
  line: number
  directive: string
  /** The directive's arguments with the address replaced. */
  args: string[]
}

function directivesAt(config: NginxConfig, file: string, line: number): NginxDirective[] {
  const found: NginxDirective[] = []
  walkNginx(config.directives, (directive) => {
    if (directive.file === file && directive.line === line) found.push(directive)
  })
  return found
}

/** /var/run is /run on every distro fpmfix knows; a written value may use either. */
function pointsAt(value: string, address: Address): boolean {
  const parsed = parseNginxAddress(value)
  if (parsed.kind === 'invalid') return false
  const normalized = parsed.kind === 'unix' ? {...parsed, path: parsed.path.replace(/^\/var\/run\//, '/run/')} : parsed
  return addressMatches(normalized, address)
}

/**
 * Where a `fastcgi_pass $var` gets the old address from: the `set` whose value it is, or the
 * map/geo/split_clients entries that give it. A value built from several variables is no one
 * place's to change: undefined.
 */
function variableSpots(config: NginxConfig, pairing: Pairing, from: Address, to: string): Spot[] | undefined {
  const pass = findFastcgiPasses(config).find(
    (entry) => entry.file === pairing.site.file && entry.line === pairing.site.line,
  )
  if (pass?.target.kind !== 'variable') return undefined
  const spots: Spot[] = []
  for (const source of pass.target.sources) {
    for (const directive of directivesAt(config, source.file, source.line)) {
      if (directive.name === 'set' && directive.args[1] !== undefined && pointsAt(directive.args[1], from))
        spots.push({file: directive.file, line: directive.line, directive: 'set', args: [directive.args[0]!, to]})
      for (const entry of directive.children ?? [])
        if (entry.args[0] !== undefined && pointsAt(entry.args[0], from))
          spots.push({file: entry.file, line: entry.line, directive: entry.name, args: [to, ...entry.args.slice(1)]})
    }
  }
  return spots.length > 0 ? spots : undefined
}

function spotsFor(config: NginxConfig | undefined, pairing: Pairing, from: Address, to: string): Spot[] | undefined {
  const {site, target} = pairing
  // Upstream servers carry their parameters (weight=, backup …); a fastcgi_pass has none.
  if (target.params !== undefined)
    return [{file: target.file, line: target.line, directive: 'server', args: [to, ...target.params]}]
  if (site.via === 'direct') return [{file: target.file, line: target.line, directive: 'fastcgi_pass', args: [to]}]
  return config === undefined ? undefined : variableSpots(config, pairing, from, to)
}

/**
 * Every fastcgi_pass, upstream server, `set` or map value that reaches a moved pool, pointed at
 * its replacement — wherever it is written (sites, snippets, conf.d upstreams; a symlinked site is
 * edited through its target). One change per place, each with nginx's reload. Sites whose address
 * cannot be rewritten in one place are returned as `blocked` drift: the old version still serves them.
 */
export function nginxMoves(
  pairings: Pairing[],
  config: NginxConfig | undefined,
  moves: PoolMove[],
  poolChange: (to: PoolMove['to']) => DesiredChange | undefined,
): {changes: DesiredChange[]; blocked: DriftItem[]; movedBy: Map<Pairing, DesiredChange>} {
  const bySpot = new Map<string, DesiredChange>()
  const blocked: DriftItem[] = []
  const movedBy = new Map<Pairing, DesiredChange>()
  for (const pairing of pairings) {
    // By address, not by the pool pairing picked: two versions may share one (Alpine's 127.0.0.1:9000).
    const move = moves.find((candidate) => addressMatches(pairing.target, candidate.from.pool.listen.value!))
    if (move === undefined) continue
    const {site, target} = pairing
    const to = nginxAddress(move.to.address)
    const item: DriftItem = {
      what: `${describeSite(site)} → ${move.from.install === move.to.install ? `pool ${move.from.pool.name}` : `php ${shortVersion(move.from.install)}`}`,
      where: {file: target.file, line: target.line},
      wanted: `php ${shortVersion(move.to.install)} pool ${move.to.pool} at ${formatAddress(move.to.address)}`,
      found: `php ${shortVersion(move.from.install)} pool ${move.from.pool.name} at ${formatAddress(move.from.pool.listen.value)}`,
      policy: move.at,
    }
    const spots = spotsFor(config, pairing, move.from.pool.listen.value!, to)
    if (spots === undefined) {
      blocked.push({
        ...item,
        unresolved: `the address comes from ${site.raw}, built from more than one value; change it by hand`,
      })
      continue
    }
    item.where = {file: spots[0]!.file, line: spots[0]!.line}
    const key = spots.map((spot) => `${spot.file}:${spot.line}`).join(' ')
    const change = bySpot.get(key)
    if (change !== undefined) {
      if (!change.drift.some((known) => known.what === item.what && known.where?.line === item.where?.line))
        change.drift.push(item)
      movedBy.set(pairing, change)
      continue
    }
    const remedies: Remedy[] = spots.map((spot) => ({
      kind: 'nginx-set',
      file: spot.file,
      line: spot.line,
      directive: spot.directive,
      args: spot.args,
      reason: `move to php ${shortVersion(move.to.install)} pool ${move.to.pool}`,
    }))
    remedies.push({
      kind: 'service',
      target: {kind: 'nginx'},
      action: 'reload',
      reason: 'send PHP requests to the new version',
    })
    const pool = poolChange(move.to)
    const created: DesiredChange = {drift: [item], remedies, ...(pool === undefined ? {} : {requires: [pool]})}
    bySpot.set(key, created)
    movedBy.set(pairing, created)
  }
  return {changes: [...bySpot.values()], blocked, movedBy}
}

import {addressMatches, describeSite, formatAddress, type Pairing} from '../facts/pairing.js'
import type {PolicyLine} from '../model/desired.js'
import type {Address, FpmInstallFacts, PoolFacts} from '../model/facts.js'
import type {Remedy} from '../model/finding.js'
import type {DriftItem} from '../model/plan.js'
import {retarget} from '../remedy/retarget.js'
import {nginxService} from '../remedy/service.js'
import type {DesiredChange} from './desired-change.js'
import {shortVersion} from './pool-view.js'

/** A pool of an old version and where its replacement on the target version listens. */
export interface PoolMove {
  from: {install: FpmInstallFacts; pool: PoolFacts}
  to: {install: FpmInstallFacts; pool: string; address: Address}
  /** The policy line that asks for the move ([php] version, or a pool's listen). */
  at: PolicyLine
}

/**
 * Every fastcgi_pass, upstream server, `set` or map value that reaches a moved pool, pointed at
 * its replacement — wherever it is written (sites, snippets, conf.d upstreams; a symlinked site is
 * edited through its target). One change per place, each with nginx's reload. Sites whose address
 * cannot be rewritten in one place are returned as `blocked` drift: the old version still serves them.
 */
export function nginxMoves(
  pairings: Pairing[],
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
    const item: DriftItem = {
      what: `${describeSite(site)} → ${move.from.install === move.to.install ? `pool ${move.from.pool.name}` : `php ${shortVersion(move.from.install)}`}`,
      where: {file: target.file, line: target.line},
      wanted: `php ${shortVersion(move.to.install)} pool ${move.to.pool} at ${formatAddress(move.to.address)}`,
      found: `php ${shortVersion(move.from.install)} pool ${move.from.pool.name} at ${formatAddress(move.from.pool.listen.value)}`,
      policy: move.at,
    }
    const edit = retarget(pairing, {
      from: move.from.pool.listen.value!,
      to: move.to.address,
      reason: `move to php ${shortVersion(move.to.install)} pool ${move.to.pool}`,
      reach: 'every-value',
    })
    if ('refused' in edit) {
      blocked.push({
        ...item,
        unresolved: `the address comes from ${site.raw}, built from more than one value; change it by hand`,
      })
      continue
    }
    const spots = edit.remedies
    item.where = {file: spots[0]!.file, line: spots[0]!.line}
    const key = spots.map((spot) => `${spot.file}:${spot.line}`).join(' ')
    const change = bySpot.get(key)
    if (change !== undefined) {
      if (!change.drift.some((known) => known.what === item.what && known.where?.line === item.where?.line))
        change.drift.push(item)
      movedBy.set(pairing, change)
      continue
    }
    const remedies: Remedy[] = [...spots, nginxService('reload', 'send PHP requests to the new version')]
    const pool = poolChange(move.to)
    const created: DesiredChange = {drift: [item], remedies, ...(pool === undefined ? {} : {requires: [pool]})}
    bySpot.set(key, created)
    movedBy.set(pairing, created)
  }
  return {changes: [...bySpot.values()], blocked, movedBy}
}

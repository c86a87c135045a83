import type {ConfigSources} from '../facts/build-facts.js'
import {addressMatches, formatAddress, pairSites, type Pairing} from '../facts/pairing.js'
import {parseListen} from '../fpm/index.js'
import type {DesiredState} from '../model/desired.js'
import type {Address, FpmInstallFacts, HostFacts, PoolFacts} from '../model/facts.js'
import type {Policy} from '../model/policy.js'
import {fpmService} from '../remedy/service.js'
import {globMatch} from '../util/glob.js'
import {isDropped, reportOnly, withoutRefused, type DesiredChange} from './desired-change.js'
import {nginxDrift} from './nginx-drift.js'
import {nginxMoves, type PoolMove} from './nginx-moves.js'
import {poolChange, type PoolTarget, type WantedSetting} from './pool-drift.js'
import {directiveSince, knownToVersion} from './pool-directives.js'
import {AUTO} from './pool-values.js'
import {expandPool, poolViews, shortVersion, type PoolView} from './pool-view.js'
import {versionMove} from './version-move.js'

interface TargetPool {
  target: PoolTarget
  carried: WantedSetting[]
  dropped: string[]
}

/**
 * What a pool must have: what it carries over, then every [pool:…] section matching its name, in
 * file order (a later section overrides an earlier one for the same directive). A directive the
 * pool's php-fpm does not know is left out and said so.
 */
function wantedFor(entry: TargetPool, desired: DesiredState, notes: string[]): WantedSetting[] {
  const wanted = new Map(entry.carried.map((setting) => [setting.key, setting]))
  const {install, name} = entry.target
  for (const rule of desired.pools) {
    if (globMatch(rule.pattern, [name]).length === 0 && rule.pattern !== name) continue
    for (const setting of rule.settings) {
      if (install.versionKey.length > 0 && !knownToVersion(setting.key, install.versionKey)) {
        notes.push(
          `${setting.at.file}:${setting.at.line}: not setting ${setting.key} in pool ${name}: php-fpm ${install.version} ` +
            `does not know it (from ${directiveSince(setting.key)} on)`,
        )
        continue
      }
      wanted.delete(setting.key)
      wanted.set(setting.key, {...setting, why: `policy ${setting.at.file}:${setting.at.line}`})
    }
  }
  return [...wanted.values()]
}

/** The pools whose memory `auto` pools share: each auto pool, and the old pools it replaces. */
function autoSharers(entries: Array<{entry: TargetPool; wanted: WantedSetting[]}>, moves: PoolMove[]) {
  const auto = entries.filter(({wanted}) =>
    wanted.some((setting) => setting.key === 'pm.max_children' && setting.value.toLowerCase() === AUTO),
  )
  const pools = new Set<Pick<PoolFacts, 'workers'>>()
  for (const {entry} of auto) {
    if (entry.target.view) pools.add(entry.target.view.pool)
    for (const move of moves)
      if (move.to.install === entry.target.install && move.to.pool === entry.target.name) pools.add(move.from.pool)
  }
  return {count: auto.length, pools: [...pools]}
}

/** Where a target pool will listen: the address it is asked for, else the one it has. */
function addressOf(target: PoolTarget, wanted: WantedSetting[], views: PoolView[]): Address | undefined {
  const listen = wanted.find((setting) => setting.key === 'listen')
  if (listen === undefined) return target.view?.pool.listen.value
  const prefix = views.find((view) => view.install === target.install)?.sources.source.prefix
  return parseListen(expandPool(listen.value, target.name), prefix)
}

/**
 * What nginx must follow: the version move's pools, and every pool the policy gives another
 * address, each to where its target pool will listen once the policy's own listen is applied.
 */
function poolMoves(
  versionMoves: PoolMove[],
  wanted: Array<{entry: TargetPool; wanted: WantedSetting[]}>,
  views: PoolView[],
): PoolMove[] {
  const targetOf = (install: FpmInstallFacts, pool: string) =>
    wanted.find(({entry}) => entry.target.install === install && entry.target.name === pool)
  const moves = versionMoves.map((move) => {
    const target = targetOf(move.to.install, move.to.pool)
    const address = target === undefined ? undefined : addressOf(target.entry.target, target.wanted, views)
    return address === undefined ? move : {...move, to: {...move.to, address}}
  })
  for (const {entry, wanted: settings} of wanted) {
    const view = entry.target.view
    const listen = settings.find((setting) => setting.key === 'listen')
    const address = addressOf(entry.target, settings, views)
    if (view === undefined || listen === undefined || address === undefined) continue
    if (
      formatAddress(address) === formatAddress(view.pool.listen.value) ||
      moves.some((move) => move.from.pool === view.pool)
    )
      continue
    moves.push({
      from: {install: view.install, pool: view.pool},
      to: {install: view.install, pool: view.pool.name, address},
      at: listen.at,
    })
  }
  return moves
}

/** Stop an old version once nothing points at it: every site on its pools moved, none unaccounted for. */
function retire(
  install: FpmInstallFacts,
  facts: HostFacts,
  pairings: Pairing[],
  movedBy: ReadonlyMap<Pairing, DesiredChange>,
  carriedBy: DesiredChange[],
  desired: DesiredState,
): DesiredChange | undefined {
  const php = desired.php!
  if (!php.retireOld || !install.running) return undefined
  const item = {
    what: `${install.serviceName} (php ${shortVersion(install)})`,
    wanted: 'stopped',
    found: 'running',
    policy: php.retireAt ?? php.at,
  }
  const addresses = install.pools.flatMap((pool) => (pool.listen.value === undefined ? [] : [pool.listen.value]))
  const sites = pairings.filter((pairing) => addresses.some((address) => addressMatches(pairing.target, address)))
  const stays = sites.filter((pairing) => !movedBy.has(pairing))
  if (stays.length > 0)
    return reportOnly(
      [item],
      `nginx still sends to it (${stays[0]!.site.raw} at ${stays[0]!.target.file}:${stays[0]!.target.line})`,
    )
  const unknown = (facts.nginx?.sites ?? []).find((site) => site.unresolved)
  if (unknown !== undefined)
    return reportOnly([item], `nginx's ${unknown.raw} (${unknown.file}:${unknown.line}) may still send to it`)
  return {
    drift: [item],
    remedies: [
      fpmService(install.id, 'stop', `retire php ${shortVersion(install)}: nginx no longer sends to its pools`),
    ],
    // Its pools are carried first and every site on them moved: nothing is lost when it stops.
    requires: [...new Set([...carriedBy, ...sites.map((pairing) => movedBy.get(pairing)!)])],
  }
}

const DISABLE_AT_BOOT: Record<HostFacts['initSystem'], (name: string) => string | undefined> = {
  systemd: (name) => `systemctl disable ${name}`,
  openrc: (name) => `rc-update del ${name}`,
  sysv: (name) => `update-rc.d ${name} disable, or chkconfig ${name} off`,
  none: () => undefined,
}

/**
 * Apply stops a retired php-fpm but leaves its boot links alone (a stopped service is one start
 * away from a rollback; a disabled one is not): the operator is told it comes back at boot.
 */
function stillStartsAtBoot(install: FpmInstallFacts, initSystem: HostFacts['initSystem']): string {
  const name = install.serviceName
  const disable = DISABLE_AT_BOOT[initSystem](name)
  return (
    `${name} is stopped, not disabled: whatever starts it at boot still does` +
    (disable === undefined ? '' : `; once the move is confirmed: ${disable}`)
  )
}

/**
 * A host's drift from the policy's desired state, as changes made of the same remedies the repair
 * rules produce: pool settings (fpm-set, or a new pool with fpm-pool), nginx settings and addresses
 * (nginx-set / nginx-insert) and their service actions, for one planner to turn into edits.
 */
export function desiredState(
  facts: HostFacts,
  sources: ConfigSources,
  policy: Policy,
): {changes: DesiredChange[]; notes: string[]} {
  const desired = policy.desired!
  const views = poolViews(facts, sources)
  const pairings = pairSites(facts)
  const notes: string[] = []
  const changes: DesiredChange[] = []
  const move = desired.php === undefined ? undefined : versionMove(facts, views, desired.php, pairings)
  const entries: TargetPool[] =
    move?.pools ??
    views.map((view) => ({target: {install: view.install, name: view.pool.name, view}, carried: [], dropped: []}))
  changes.push(...(move?.unresolved ?? []))
  const wanted = entries.map((entry) => ({entry, wanted: wantedFor(entry, desired, notes)}))
  const context = {facts, policy, autoSharers: autoSharers(wanted, move?.moves ?? [])}
  const poolChanges = new Map<string, DesiredChange>()
  for (const {entry, wanted: settings} of wanted) {
    if (settings.length === 0) continue
    const change = poolChange(entry.target, settings, context)
    poolChanges.set(`${entry.target.install.id}\0${entry.target.name}`, change)
    if (change.drift.length > 0 || change.remedies.length > 0) changes.push(change)
    if (change.remedies.length > 0)
      for (const dropped of entry.dropped)
        notes.push(`not carried to php ${shortVersion(entry.target.install)} pool ${entry.target.name}: ${dropped}`)
  }
  const moves = poolMoves(move?.moves ?? [], wanted, views)
  const moved = nginxMoves(pairings, moves, (target) => poolChanges.get(`${target.install.id}\0${target.pool}`))
  changes.push(...moved.changes)
  if (moved.blocked.length > 0) changes.push({drift: moved.blocked, remedies: []})
  if (move !== undefined) {
    for (const install of move.old) {
      const carriedBy = move.moves
        .filter((entry) => entry.from.install === install)
        .flatMap((entry) => poolChanges.get(`${entry.to.install.id}\0${entry.to.pool}`) ?? [])
      const stop = retire(install, facts, pairings, moved.movedBy, carriedBy, desired)
      if (stop === undefined) continue
      changes.push(stop)
      if (stop.remedies.length > 0) notes.push(stillStartsAtBoot(install, facts.initSystem))
    }
  }
  if (desired.nginx.length > 0) changes.push(...nginxDrift(facts.nginx?.sites ?? [], sources.nginx, desired.nginx))
  // A change that depends on one this plan cannot make is not made either.
  const settled = withoutRefused(changes, () => false)
  return {changes: settled.filter((change) => change.drift.length > 0 || !isDropped(change)), notes}
}

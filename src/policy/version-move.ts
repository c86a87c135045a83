import {posix} from 'node:path'

import {compareVersionKeys} from '../facts/install-version.js'
import {addressMatches, formatAddress, type Pairing} from '../facts/pairing.js'
import {formatListen, parseListen, type FpmConfigSource} from '../fpm/index.js'
import type {DesiredPhp} from '../model/desired.js'
import type {Address, FpmInstallFacts, HostFacts} from '../model/facts.js'
import type {DriftItem} from '../model/plan.js'
import {globMatch, isGlob} from '../util/glob.js'
import {carriedSettings} from './carry-over.js'
import {reportOnly, type DesiredChange} from './desired-change.js'
import {addressSpace, claim} from '../facts/address-space.js'
import {addressFor} from './listen-address.js'
import type {PoolMove} from './nginx-moves.js'
import type {PoolTarget, WantedSetting} from './pool-drift.js'
import {shortVersion, type PoolView} from './pool-view.js'

/** The pools of the target version with what each must carry, and what nginx must move where. */
export interface VersionMove {
  target?: FpmInstallFacts
  pools: Array<{target: PoolTarget; carried: WantedSetting[]; dropped: string[]}>
  moves: PoolMove[]
  /** Drift the move cannot resolve (no target install, no address left, an old pool not carried). */
  unresolved: DesiredChange[]
  /** The installs to stop once nothing points at them (retire_old). */
  old: FpmInstallFacts[]
}

function majorMinor(install: FpmInstallFacts): number[] {
  return install.versionKey.slice(0, 2)
}

/** The target version's install: the running one when there are several (Remi and the base repo both). */
function targetInstall(facts: HostFacts, php: DesiredPhp): FpmInstallFacts | undefined {
  const candidates = facts.installs.filter((install) => compareVersionKeys(majorMinor(install), php.versionKey) === 0)
  return candidates.find((install) => install.running) ?? candidates[0]
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/**
 * Where a new pool `name` of this install goes: a file of its own that the install's `include=`
 * glob reads (`pool.d/*.conf` → `pool.d/app.conf`), or, without such an include, the main config.
 */
export function newPoolFile(source: FpmConfigSource, name: string, existing: ReadonlySet<string>): string {
  if (SAFE_NAME.test(name)) {
    for (const include of source.includes) {
      const dir = posix.dirname(include.resolved)
      const base = posix.basename(include.resolved)
      if (isGlob(dir) || !/^[^*?[\]]*\*[^*?[\]]*$/.test(base)) continue
      const file = `${dir}/${base.replace('*', name)}`
      if (globMatch(include.resolved, [file]).length === 1 && !existing.has(file)) return file
    }
  }
  return source.mainConfig
}

function noTarget(facts: HostFacts, php: DesiredPhp): DesiredChange {
  const present = facts.installs.map((install) => `php ${install.version ?? '?'} (${install.serviceName})`)
  return reportOnly(
    [
      {
        what: `php-fpm ${php.version}`,
        wanted: `php-fpm ${php.version} serving every PHP site`,
        found: present.length > 0 ? present.join(', ') : 'no php-fpm install',
        policy: php.at,
      },
    ],
    `no php-fpm ${php.version} is installed on this host; fpmfix does not install packages`,
  )
}

/**
 * The move of every pool of every other PHP version to `php.version`: each old pool's settings
 * carried to the target install's pool of the same name (created when there is none, in a file of
 * its own), each with a listen address of its own — never an old pool's, so both versions can run
 * side by side while nginx moves — and every nginx reference to an old pool moved to its
 * replacement. A target pool already sharing an address with an old one (Alpine's 127.0.0.1:9000
 * in both) gets a new address, and the sites on the shared address move to it. A version that is
 * stopped and that nginx does not send to is left alone: it has been retired.
 */
export function versionMove(facts: HostFacts, views: PoolView[], php: DesiredPhp, pairings: Pairing[]): VersionMove {
  const target = targetInstall(facts, php)
  if (target === undefined) return {pools: [], moves: [], unresolved: [noTarget(facts, php)], old: []}
  const space = addressSpace(facts)
  const existingFiles = new Set(views.flatMap((view) => view.sources.install.files.map((file) => file.path)))
  const targetSource = views.find((view) => view.install === target)?.sources.source
  // A version that is stopped and that nginx does not send to is retired: its config is no longer the truth.
  const inUse = (install: FpmInstallFacts) =>
    install.running ||
    pairings.some((pairing) => install.pools.some((pool) => addressMatches(pairing.target, pool.listen.value)))
  const old = facts.installs
    .filter((install) => compareVersionKeys(majorMinor(install), php.versionKey) !== 0 && inUse(install))
    .sort((a, b) => compareVersionKeys(b.versionKey, a.versionKey))
  const pools = views
    .filter((view) => view.install === target)
    .map((view) => ({
      target: {install: target, name: view.pool.name, view} as PoolTarget,
      carried: [] as WantedSetting[],
      dropped: [] as string[],
    }))
  const moves: PoolMove[] = []
  const unresolved: DesiredChange[] = []
  const listenSetting = (address: Address, why: string): WantedSetting => ({
    key: 'listen',
    value: formatListen(address),
    at: php.at,
    why,
  })
  // A target pool on the same address as a pool of another version cannot run beside it: it moves first.
  for (const entry of pools) {
    const listen = entry.target.view!.pool.listen.value
    if (listen === undefined) continue
    const clash = views.find((view) => old.includes(view.install) && addressMatches(listen, view.pool.listen.value))
    if (clash === undefined) continue
    const others = {...space, taken: space.taken.filter((address) => address !== listen)}
    const address = addressFor(
      others,
      entry.target.name,
      listen,
      {from: shortVersion(clash.install), to: php.version},
      target,
    )
    if (address === undefined) {
      unresolved.push(reportOnly([clashItem(entry.target, clash, php)], 'no free address was found for it'))
      continue
    }
    claim(space, address)
    entry.carried.push(
      listenSetting(
        address,
        `an address of its own: php ${shortVersion(clash.install)} pool ${clash.pool.name} listens at ${formatAddress(listen)} too`,
      ),
    )
    // The sites on the shared address were meant for the old version's pool (it kept the port).
    moves.push({
      from: {install: clash.install, pool: clash.pool},
      to: {install: target, pool: entry.target.name, address},
      at: php.at,
    })
  }
  const carriedNames = new Set<string>()
  for (const install of old) {
    for (const view of views.filter((candidate) => candidate.install === install)) {
      const name = view.pool.name
      let entry = pools.find((candidate) => candidate.target.name.toLowerCase() === name.toLowerCase())
      if (entry !== undefined && carriedNames.has(name.toLowerCase())) {
        // Two old versions with a pool of this name: the newest one's settings are carried.
        moves.push(moveTo(view, entry, target, php))
        continue
      }
      carriedNames.add(name.toLowerCase())
      let listen: WantedSetting | undefined
      if (entry === undefined) {
        const address =
          view.pool.listen.value &&
          addressFor(space, name, view.pool.listen.value, {from: shortVersion(install), to: php.version}, target)
        if (address === undefined || targetSource === undefined) {
          unresolved.push(
            reportOnly([poolItem(view, target, php)], 'no listen address of its own was found for it on this host'),
          )
          continue
        }
        claim(space, address)
        const file = newPoolFile(targetSource, name, existingFiles)
        existingFiles.add(file)
        listen = listenSetting(
          address,
          `an address of its own for php ${php.version}, following ${formatAddress(view.pool.listen.value)}`,
        )
        entry = {
          target: {
            install: target,
            name,
            create: {
              file,
              from: view,
              reason: `pool ${name} carried over from php ${shortVersion(install)} (${view.pool.file}) by fpmfix`,
            },
          },
          carried: [],
          dropped: [],
        }
        pools.push(entry)
      }
      const carried = carriedSettings(
        view,
        {version: php.version, versionKey: php.versionKey, ...(listen ? {listen} : {})},
        php.at,
      )
      entry.carried.push(...carried.settings)
      entry.dropped.push(...carried.dropped)
      moves.push(moveTo(view, entry, target, php))
    }
  }
  return {target, pools, moves, unresolved, old}
}

/** Where the sites of an old pool go: its replacement's address (the new one when it gets one). */
function moveTo(
  view: PoolView,
  entry: VersionMove['pools'][number],
  target: FpmInstallFacts,
  php: DesiredPhp,
): PoolMove {
  const listen = entry.carried.find((setting) => setting.key === 'listen')
  const address = listen === undefined ? entry.target.view!.pool.listen.value! : parseListen(listen.value)!
  return {
    from: {install: view.install, pool: view.pool},
    to: {install: target, pool: entry.target.name, address},
    at: php.at,
  }
}

function clashItem(target: PoolTarget, clash: PoolView, php: DesiredPhp): DriftItem {
  return {
    what: `[${target.name}] (php ${php.version}) listen`,
    where:
      target.view!.pool.listen.source === 'default' ? {file: target.view!.pool.file} : target.view!.pool.listen.source,
    wanted: 'an address no other version listens at',
    found: `${formatAddress(target.view!.pool.listen.value)}, also php ${shortVersion(clash.install)} pool ${clash.pool.name}'s`,
    policy: php.at,
  }
}

function poolItem(view: PoolView, target: FpmInstallFacts, php: DesiredPhp): DriftItem {
  return {
    what: `[${view.pool.name}] (php ${php.version}) pool`,
    wanted: `pool ${view.pool.name} on php ${php.version} (${target.serviceName}) with the settings of php ${shortVersion(view.install)}'s`,
    found: '(pool absent)',
    policy: php.at,
  }
}

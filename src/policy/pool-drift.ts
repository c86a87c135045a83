import type {PolicyLine} from '../model/desired.js'
import type {FpmInstallFacts, HostFacts, PoolFacts} from '../model/facts.js'
import type {Remedy, ServiceActionKind} from '../model/finding.js'
import type {DriftItem} from '../model/plan.js'
import type {Policy} from '../model/policy.js'
import {pmNumbersOf, type PmNumbers} from '../fpm/pm-sizing.js'
import {atoi} from '../fpm/values.js'
import {pmComplaint, pmRemedies} from '../remedy/pm-repair.js'
import {fpmService} from '../remedy/service.js'
import {autoChildren, type AutoSharers} from './auto-children.js'
import type {DesiredChange} from './desired-change.js'
import {directiveName} from './pool-directives.js'
import {AUTO} from './pool-values.js'
import {currentValue, sameSetting, shortVersion, type PoolView} from './pool-view.js'

/** One setting a target pool must have, and who asks for it. */
export interface WantedSetting {
  key: string
  value: string
  /** The policy line behind it: the setting's own line, or `[php] version` for a carried one. */
  at: PolicyLine
  /** Why, in words: `policy plans/x.ini:7`, `carried over from PHP 8.1 pool app (/etc/…/app.conf:12)`. */
  why: string
}

/** A pool of the target state: one that exists (view), or one the plan creates from an old pool. */
export interface PoolTarget {
  install: FpmInstallFacts
  name: string
  view?: PoolView
  create?: {file: string; reason: string; from: PoolView}
}

export interface PoolDriftContext {
  facts: HostFacts
  policy: Policy
  /** Every pool sized with `pm.max_children = auto` on this host (they share the memory). */
  autoSharers: AutoSharers
}

/** listen.* of a socket that already exists only take effect when php-fpm re-creates it: a restart. */
const RECREATE_KEYS = new Set([
  'listen.owner',
  'listen.group',
  'listen.mode',
  'listen.acl_users',
  'listen.acl_groups',
  'listen.backlog',
])

const PM_FIELDS: Record<string, keyof PmNumbers> = {
  pm: 'pm',
  'pm.max_children': 'maxChildren',
  'pm.start_servers': 'startServers',
  'pm.min_spare_servers': 'minSpare',
  'pm.max_spare_servers': 'maxSpare',
}

function pmNumbers(pool: PoolFacts, values: ReadonlyMap<string, string>): PmNumbers {
  const numbers = pmNumbersOf(pool)
  for (const [key, field] of Object.entries(PM_FIELDS)) {
    const value = values.get(key)
    if (value === undefined) continue
    if (field === 'pm') numbers.pm = value.toLowerCase()
    else numbers[field] = atoi(value)
  }
  return numbers
}

function describe(view: PoolView | undefined, key: string): {found: string; where: DriftItem['where']} {
  if (view === undefined) return {found: '(pool absent)', where: undefined}
  const current = currentValue(view, key)
  const found =
    current.value === undefined ? '(not set)' : current.at === undefined ? `${current.value} (default)` : current.value
  return {found, where: current.at ?? {file: view.pool.file}}
}

/**
 * The drift of one target pool from what it must have, and the fpm-set remedies (plus the
 * pm settings php-fpm's own checks then require, and the service action) that remove it.
 * `auto` is resolved into a number first; a pool the plan creates gets every wanted setting.
 */
export function poolChange(target: PoolTarget, wanted: WantedSetting[], context: PoolDriftContext): DesiredChange {
  const {install, name, view} = target
  const label = `[${name}]${install.versionKey.length > 0 ? ` (php ${shortVersion(install)})` : ''}`
  const drift: DriftItem[] = []
  const remedies: Remedy[] = []
  const unresolved: DriftItem[] = []
  const final = new Map<string, string>()
  const base = view?.pool ?? target.create?.from.pool
  for (const setting of wanted) {
    let value = setting.value
    let why = setting.why
    if (directiveName(setting.key) === 'pm.max_children' && value.toLowerCase() === AUTO) {
      const current = base?.maxChildren.value ?? 0
      const measured =
        view && view.pool.workers.length > 0 ? [view.pool] : target.create ? [target.create.from.pool] : []
      const sized = autoChildren(context.facts, current, measured, context.autoSharers, context.policy.sizing)
      if (!sized.ok) {
        unresolved.push({
          what: `${label} pm.max_children`,
          ...describe(view, setting.key),
          wanted: AUTO,
          policy: setting.at,
          unresolved: sized.why,
        })
        continue
      }
      value = String(sized.value)
      why = `${why}: auto, memory affords ${sized.affordable} (${sized.basis})`
    }
    final.set(setting.key, value)
    if (view !== undefined && sameSetting(setting.key, value, currentValue(view, setting.key).value, view)) continue
    if (view !== undefined)
      drift.push({what: `${label} ${setting.key}`, ...describe(view, setting.key), wanted: value, policy: setting.at})
    remedies.push({kind: 'fpm-set', install: install.id, pool: name, key: setting.key, value, reason: why})
  }
  if (base !== undefined) {
    const numbers = pmNumbers(base, final)
    const complaint = pmComplaint(base, numbers)
    if (complaint !== undefined) {
      const stated = wanted.find((setting) => PM_FIELDS[setting.key] !== undefined)
      const fixes = pmRemedies(
        install.id,
        name,
        numbers,
        numbers.maxChildren,
        `keep php-fpm's pm checks passing (${complaint})`,
      )
      if (fixes.some((fix) => final.has(fix.key))) {
        // The policy's own pm values are what php-fpm would refuse with this pool's others: nothing is changed.
        const why = `php-fpm would refuse them with this pool's other pm settings: ${complaint}`
        const items: DriftItem[] =
          drift.length > 0
            ? drift
            : [
                {
                  what: `${label} pm settings`,
                  ...describe(view, 'pm'),
                  wanted: 'consistent pm settings',
                  policy: stated?.at ?? wanted[0]!.at,
                },
              ]
        return {drift: [...items.map((item) => ({...item, unresolved: why})), ...unresolved], remedies: []}
      }
      remedies.push(...fixes)
    }
  }
  if (target.create !== undefined) {
    const from = target.create.from
    drift.unshift({
      what: `${label} pool`,
      where: {file: target.create.file},
      wanted: `pool ${name} on php ${shortVersion(install)} with the settings of php ${shortVersion(from.install)} pool ${from.pool.name}`,
      found: '(pool absent)',
      policy: wanted[0]?.at ?? {file: '', line: 0},
    })
    remedies.unshift({
      kind: 'fpm-pool',
      install: install.id,
      pool: name,
      file: target.create.file,
      reason: target.create.reason,
    })
  }
  if (remedies.length > 0) remedies.push(serviceRemedy(target, remedies))
  return {drift: [...drift, ...unresolved], remedies}
}

function serviceRemedy(target: PoolTarget, remedies: Remedy[]): Remedy {
  const keys = remedies.flatMap((remedy) => (remedy.kind === 'fpm-set' ? [remedy.key] : []))
  const recreate = target.view !== undefined && !keys.includes('listen') && keys.some((key) => RECREATE_KEYS.has(key))
  const action: ServiceActionKind = !target.install.running ? 'start' : recreate ? 'restart' : 'reload'
  return fpmService(
    target.install.id,
    action,
    recreate
      ? 'listen.* only takes effect when php-fpm re-creates the socket'
      : `load pool ${target.name}'s desired settings`,
  )
}

import type {FpmSources} from '../facts/fpm-facts.js'
import {
  effectivePool,
  iniScalar,
  parseIniBoolean,
  parseListen,
  parseOctalMode,
  splitList,
  type EffectivePool,
} from '../fpm/index.js'
import {atoi, parseDuration} from '../fpm/values.js'
import type {FpmInstallFacts, HostFacts, PoolFacts} from '../model/facts.js'
import type {ConfigSources} from '../facts/build-facts.js'
import {formatAddress} from '../facts/pairing.js'
import {directiveName, poolDirectiveKind} from './pool-directives.js'

/** One pool with everything the desired-state planner reads about it. */
export interface PoolView {
  install: FpmInstallFacts
  pool: PoolFacts
  /** Every setting with where it is written (php_value, env … included). */
  effective: EffectivePool
  sources: FpmSources
}

/** Every pool of every install, with its effective settings read the way the facts read them. */
export function poolViews(facts: HostFacts, sources: ConfigSources): PoolView[] {
  return facts.installs.flatMap((install) => {
    const source = sources.fpm.find((entry) => entry.install.binary === install.id)
    if (source === undefined) return []
    const tt = source.tt?.ok ? source.tt : undefined
    const phpVersion = source.install.versionNumber
    return install.pools.map((pool) => ({
      install,
      pool,
      effective: effectivePool(source.source, tt, pool.name, phpVersion === undefined ? {} : {phpVersion}),
      sources: source,
    }))
  })
}

/** A pool's value of one directive, as php-fpm holds it, and where it is written. */
export interface CurrentValue {
  value: string | undefined
  at: {file: string; line: number} | undefined
}

const ARRAY_LISTS: Record<string, keyof Pick<EffectivePool, 'phpValues' | 'phpAdminValues' | 'env'>> = {
  php_value: 'phpValues',
  php_flag: 'phpValues',
  php_admin_value: 'phpAdminValues',
  php_admin_flag: 'phpAdminValues',
  env: 'env',
}

export function currentValue(view: PoolView, key: string): CurrentValue {
  const name = directiveName(key)
  const list = ARRAY_LISTS[name]
  if (list !== undefined) {
    const arrayKey = key.slice(key.indexOf('[') + 1, -1)
    const entry = view.effective[list].filter((item) => item.key === arrayKey).at(-1)
    return {value: entry?.value, at: typeof entry?.source === 'object' ? entry.source : undefined}
  }
  const setting = view.effective.settings[name]
  return {value: setting?.value, at: typeof setting?.source === 'object' ? setting.source : undefined}
}

/** A policy value as php-fpm stores it for this pool: `$pool` expanded. */
export function expandPool(value: string, pool: string): string {
  return value.replaceAll('$pool', pool)
}

/**
 * Whether `found` (php-fpm's stored value, undefined when unset) already is what `wanted` (a policy
 * value) asks for, compared the way php-fpm reads each kind: `60s` is `1m`, `yes` is `1`, `0660` is `660`.
 */
export function sameSetting(key: string, wanted: string, found: string | undefined, view: PoolView): boolean {
  const name = directiveName(key)
  const want = expandPool(wanted, view.pool.name)
  if (name === 'listen') {
    const address = parseListen(want, view.sources.source.prefix)
    return address !== undefined && formatAddress(address) === formatAddress(view.effective.listen.value)
  }
  if (found === undefined) return false
  if (name === 'listen.mode') return parseOctalMode(want) === parseOctalMode(found)
  if (['listen.acl_users', 'listen.acl_groups', 'listen.allowed_clients'].includes(name))
    return splitList(want).sort().join(',') === splitList(found).sort().join(',')
  switch (poolDirectiveKind(key)) {
    case 'integer':
      return atoi(want) === atoi(found)
    case 'time':
      return parseDuration(want) === parseDuration(found)
    case 'boolean':
      return parseIniBoolean(iniScalar({value: want, quoted: false})) === parseIniBoolean(found)
    case 'pm':
      return want.toLowerCase() === found.toLowerCase()
    default:
      return want === found
  }
}

/** `8.1` for an install whose version is 8.1.31 (or 8.1 from its layout). */
export function shortVersion(install: FpmInstallFacts): string {
  return install.versionKey.length >= 2 ? install.versionKey.slice(0, 2).join('.') : (install.version ?? '?')
}

import type {EffectivePool} from './effective-pool.js'
import type {ProcessManager} from './types.js'

/** The process-manager numbers php-fpm checks, as plain values (unset numbers read as 0, as in php-fpm). */
export interface PmSettings {
  name: string
  pm: ProcessManager | undefined
  maxChildren?: number
  startServers?: number
  minSpareServers?: number
  maxSpareServers?: number
  /** Default 32. */
  maxSpawnRate?: number
  /** Seconds; default 10. */
  processIdleTimeout?: number
}

export type PmCheck =
  | 'pm-missing'
  | 'max-children'
  | 'min-spare-servers'
  | 'max-spare-servers'
  | 'spare-above-max-children'
  | 'max-spare-below-min-spare'
  | 'start-servers-range'
  | 'max-spawn-rate'
  | 'process-idle-timeout'

export interface PmViolation {
  check: PmCheck
  level: 'ALERT'
  /** php-fpm's message, `[pool <name>] ` prefix included. */
  message: string
  /** The directives involved, to point an explanation or a fix at. */
  keys: string[]
}

/**
 * The first pm check php-fpm would fail for this pool, in php-fpm's own order
 * (fpm_conf_process_all_pools), with its exact message; undefined when php-fpm
 * would accept the numbers.
 */
export function validatePm(pool: EffectivePool): PmViolation | undefined {
  return validatePmSettings(pmSettingsOf(pool))
}

export function pmSettingsOf(pool: EffectivePool): PmSettings {
  return {
    name: pool.name,
    pm: pool.pm.value,
    ...defined('maxChildren', pool.maxChildren.value),
    // A start_servers php-fpm computed itself is left out, as php-fpm reads it (0: pick the default).
    ...(pool.startServers.source === 'default' ? {} : defined('startServers', pool.startServers.value)),
    ...defined('minSpareServers', pool.minSpareServers.value),
    ...defined('maxSpareServers', pool.maxSpareServers.value),
    maxSpawnRate: pool.maxSpawnRate.value,
    ...defined('processIdleTimeout', pool.processIdleTimeout.value),
  }
}

export function validatePmSettings(settings: PmSettings): PmViolation | undefined {
  const prefix = `[pool ${settings.name}] `
  const violation = (check: PmCheck, text: string, keys: string[]): PmViolation => ({
    check,
    level: 'ALERT',
    message: prefix + text,
    keys,
  })
  const maxChildren = settings.maxChildren ?? 0
  if (settings.pm === undefined)
    return violation('pm-missing', 'the process manager is missing (static, dynamic or ondemand)', ['pm'])
  if (maxChildren < 1) return violation('max-children', 'pm.max_children must be a positive value', ['pm.max_children'])
  if (settings.pm === 'dynamic') {
    const min = settings.minSpareServers ?? 0
    const max = settings.maxSpareServers ?? 0
    const start = settings.startServers ?? 0
    if (min <= 0)
      return violation('min-spare-servers', `pm.min_spare_servers(${min}) must be a positive value`, [
        'pm.min_spare_servers',
      ])
    if (max <= 0)
      return violation('max-spare-servers', `pm.max_spare_servers(${max}) must be a positive value`, [
        'pm.max_spare_servers',
      ])
    if (min > maxChildren || max > maxChildren) {
      return violation(
        'spare-above-max-children',
        `pm.min_spare_servers(${min}) and pm.max_spare_servers(${max}) cannot be greater than pm.max_children(${maxChildren})`,
        ['pm.min_spare_servers', 'pm.max_spare_servers', 'pm.max_children'],
      )
    }
    if (max < min) {
      return violation(
        'max-spare-below-min-spare',
        `pm.max_spare_servers(${max}) must not be less than pm.min_spare_servers(${min})`,
        ['pm.max_spare_servers', 'pm.min_spare_servers'],
      )
    }
    if (start > 0 && (start < min || start > max)) {
      return violation(
        'start-servers-range',
        `pm.start_servers(${start}) must not be less than pm.min_spare_servers(${min}) and not greater than pm.max_spare_servers(${max})`,
        ['pm.start_servers', 'pm.min_spare_servers', 'pm.max_spare_servers'],
      )
    }
    if ((settings.maxSpawnRate ?? 32) < 1)
      return violation('max-spawn-rate', 'pm.max_spawn_rate must be a positive value', ['pm.max_spawn_rate'])
  }
  if (settings.pm === 'ondemand') {
    const idle = settings.processIdleTimeout ?? 10
    if (idle < 1)
      return violation('process-idle-timeout', `pm.process_idle_timeout(${idle}s) must be greater than 0s`, [
        'pm.process_idle_timeout',
      ])
  }
  return undefined
}

/**
 * The NOTICE php-fpm logs when it picks pm.start_servers itself (dynamic pool
 * with start_servers unset or not positive), or undefined.
 */
export function startServersNotice(settings: PmSettings): string | undefined {
  if (settings.pm !== 'dynamic' || (settings.startServers ?? 0) > 0) return undefined
  if (validatePmSettings(settings)) return undefined
  const min = settings.minSpareServers ?? 0
  const max = settings.maxSpareServers ?? 0
  return `[pool ${settings.name}] pm.start_servers is not set. It's been set to ${min + Math.trunc((max - min) / 2)}.`
}

function defined<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({[key]: value} as Record<K, V>)
}

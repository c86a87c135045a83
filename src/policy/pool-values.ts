import {iniScalar, parseListen, parseOctalMode, pathProblem, validatePmSettings} from '../fpm/index.js'
import type {PmSettings} from '../fpm/index.js'
import {optionValueError} from '../fpm/options.js'
import {atoi, parseDuration} from '../fpm/values.js'
import {directiveName, poolDirectiveKind} from './pool-directives.js'

/** `pm.max_children = auto`: sized from measured worker memory, as the pool-exhausted repair does. */
export const AUTO = 'auto'

/** Why php-fpm (or a safe host) would not take `key = value` in a pool; undefined when it would. */
export function poolValueProblem(key: string, value: string, quoted: boolean, glob: boolean): string | undefined {
  const name = directiveName(key)
  const kind = poolDirectiveKind(key)
  if (kind === undefined) return `unknown pool directive ${key}`
  if (name === 'access.suppress_path')
    return 'access.suppress_path[] is a list whose entries cannot be told apart; set it in the pool files'
  if (key.includes('[') && /\[\s*\]$/.test(key)) return `${key} needs a name inside the brackets`
  if (name === 'pm.max_children' && value.toLowerCase() === AUTO) return undefined
  const scalar = iniScalar({value, quoted})
  const refused = optionValueError(kind, scalar)
  if (refused !== undefined) return `php-fpm refuses this value: ${refused}`
  switch (name) {
    case 'listen':
      return listenProblem(value, glob)
    case 'listen.mode': {
      const mode = /^0?[0-7]{3}$/.test(value.trim()) ? parseOctalMode(value) : undefined
      if (mode === undefined) return 'expected an octal mode such as 0660'
      return (mode & 0o007) === 0 ? undefined : 'grants access to every user on the host; use 0660 or tighter'
    }
    case 'ping.path':
    case 'pm.status_path':
      return pathProblem('', name === 'ping.path' ? 'ping' : 'status', value, false)?.replace(/^ERROR: /, '')
    case 'process.priority':
      return atoi(value) < -19 || atoi(value) > 20 ? 'process.priority must be included into [-19,20]' : undefined
    case 'user':
    case 'group':
      return value === '' ? `${name} cannot be empty` : undefined
  }
  if (kind === 'integer' && scalar.trim() === '') return 'expected a number'
  return undefined
}

function listenProblem(value: string, glob: boolean): string | undefined {
  if (glob && !value.includes('$pool'))
    return 'one listen address for every pool the glob matches would collide; name a pool, or use $pool in the path'
  const address = parseListen(value, '/')
  if (address === undefined) return 'expected a socket path, port, or address:port'
  if (address.kind === 'tcp' && (address.port < 1 || address.port > 65535))
    return `port ${address.port} is out of range`
  return undefined
}

/** A stated pool setting, as the pm check needs it. */
export interface StatedValue {
  value: string
  line: number
}

const PM_KEYS = [
  'pm',
  'pm.max_children',
  'pm.start_servers',
  'pm.min_spare_servers',
  'pm.max_spare_servers',
  'pm.max_spawn_rate',
  'pm.process_idle_timeout',
]

/**
 * php-fpm's own pm checks (validatePmSettings) over what a policy section states. A value the
 * section leaves to the host is filled with one that agrees with the stated ones, so only a
 * combination the policy itself makes impossible is refused here; the host's values are checked
 * with the policy's applied when the plan is made.
 */
export function pmProblem(stated: ReadonlyMap<string, StatedValue>): {line: number; message: string} | undefined {
  const number = (key: string): number | undefined => {
    const value = stated.get(key)?.value
    return value === undefined || value.toLowerCase() === AUTO ? undefined : atoi(value)
  }
  const children = number('pm.max_children')
  const start = number('pm.start_servers')
  const min = number('pm.min_spare_servers') ?? 1
  const max = number('pm.max_spare_servers') ?? Math.max(min, start ?? 1)
  const idle = stated.get('pm.process_idle_timeout')?.value
  const statedPm = stated.get('pm')?.value.toLowerCase()
  const dynamicKeys = ['pm.start_servers', 'pm.min_spare_servers', 'pm.max_spare_servers', 'pm.max_spawn_rate']
  const pm = (statedPm ??
    (dynamicKeys.some((key) => stated.has(key))
      ? 'dynamic'
      : idle !== undefined
        ? 'ondemand'
        : 'static')) as PmSettings['pm']
  const settings: PmSettings = {
    name: '',
    pm,
    maxChildren: children ?? Number.MAX_SAFE_INTEGER,
    minSpareServers: min,
    maxSpareServers: max,
    ...(start === undefined ? {} : {startServers: start}),
    maxSpawnRate: number('pm.max_spawn_rate') ?? 32,
    processIdleTimeout: idle === undefined ? 10 : (parseDuration(idle) ?? 10),
  }
  const violation = validatePmSettings(settings)
  if (violation === undefined) return undefined
  const lines = violation.keys.map((key) => stated.get(key)?.line).filter((line): line is number => line !== undefined)
  const line =
    lines.length > 0 ? Math.min(...lines) : Math.min(...PM_KEYS.map((key) => stated.get(key)?.line ?? Infinity))
  return {line, message: `php-fpm would refuse these pm settings: ${violation.message.replace(/^\[pool \] /, '')}`}
}

import {effectivePool, type EffectivePool} from './effective-pool.js'
import type {FpmConfigSource} from './types.js'
import {validatePm} from './validate-pm.js'

export interface PredictFpmTestOptions {
  phpVersion?: string
  /** php-fpm refuses a pool without `user` only when it runs as root (the packaged services do). Default true. */
  runAsRoot?: boolean
  /** The host's user and group names; without them unknown users cannot be predicted. */
  users?: ReadonlySet<string>
  groups?: ReadonlySet<string>
}

export interface FpmTestPrediction {
  ok: boolean
  /** The error `php-fpm -t` stops at, as `LEVEL: message` (it reports one cause, then gives up). */
  errors: string[]
  warnings: string[]
}

/**
 * What `php-fpm -t` would say about these files, for the checks that need no
 * file system: the parse (see FpmConfigSource.issues), then per pool and in
 * php-fpm's order (fpm_conf_process_all_pools) user, listen, process.priority,
 * the pm numbers, status and ping paths, slowlog timeouts; then listen
 * addresses shared by two pools; then unknown users and groups when the
 * host's lists are given. Prefix, chroot and chdir directories, log files and
 * sockets are not checked.
 */
export function predictFpmTest(source: FpmConfigSource, options: PredictFpmTestOptions = {}): FpmTestPrediction {
  const warnings = source.issues
    .filter((issue) => issue.severity === 'warning')
    .map((issue) => `WARNING: ${issue.message}`)
  const error = firstError(source, options)
  return {ok: error === undefined, errors: error === undefined ? [] : [error], warnings}
}

function firstError(source: FpmConfigSource, options: PredictFpmTestOptions): string | undefined {
  const parse = source.issues.find((issue) => issue.severity === 'error')
  if (parse) return parse.message.startsWith('PHP:') ? parse.message : `ERROR: ${parse.message}`
  const pools = source.pools.map((name) =>
    effectivePool(source, undefined, name, options.phpVersion === undefined ? {} : {phpVersion: options.phpVersion}),
  )
  for (const pool of pools) {
    const problem = poolProblem(pool, options.runAsRoot ?? true)
    if (problem) return problem
  }
  return sharedListen(pools) ?? unknownAccount(pools, options)
}

function poolProblem(pool: EffectivePool, runAsRoot: boolean): string | undefined {
  const at = `[pool ${pool.name}] `
  const text = (key: string) => pool.settings[key]?.value
  if (runAsRoot && !text('user')) return `ALERT: ${at}user has not been defined`
  if (!text('listen')) return `ALERT: ${at}no listen address have been defined!`
  const priority = text('process.priority')
  if (priority !== undefined && (Number(priority) < -19 || Number(priority) > 20)) {
    return `ERROR: ${at}process.priority must be included into [-19,20]`
  }
  const pm = validatePm(pool)
  if (pm) return `ALERT: ${pm.message}`
  return (
    pathProblem(at, 'status', text('pm.status_path'), text('pm.status_listen') !== undefined) ??
    pathProblem(at, 'ping', text('ping.path'), false) ??
    pingResponseProblem(at, text('ping.path'), pool) ??
    slowlogProblem(at, pool)
  )
}

/** pm.status_path and ping.path: a leading `/`, two characters at least, `[alphanum]/_-.~` only. */
export function pathProblem(
  at: string,
  kind: 'status' | 'ping',
  path: string | undefined,
  shortAllowed: boolean,
): string | undefined {
  if (!path) return undefined
  if (!path.startsWith('/')) return `ERROR: ${at}the ${kind} path '${path}' must start with a '/'`
  if (!shortAllowed && path.length < 2) return `ERROR: ${at}the ${kind} path '${path}' is not long enough`
  if (!/^[A-Za-z0-9/_\-.~]+$/.test(path)) {
    return `ERROR: ${at}the ${kind} path '${path}' must contain only the following characters '[alphanum]/_-.~'`
  }
  return undefined
}

function pingResponseProblem(at: string, pingPath: string | undefined, pool: EffectivePool): string | undefined {
  const response = pool.settings['ping.response']
  if (!pingPath || response?.source === 'default' || response?.value !== '') return undefined
  return `ERROR: ${at}the ping response page '' is not long enough`
}

function slowlogProblem(at: string, pool: EffectivePool): string | undefined {
  const slowTimeout = pool.requestSlowlogTimeout.value ?? 0
  const terminate = pool.requestTerminateTimeout.value ?? 0
  if (slowTimeout > 0) {
    if (!pool.slowlog.value) return `ERROR: ${at}'slowlog' must be specified for use with 'request_slowlog_timeout'`
    if (terminate > 0 && slowTimeout > terminate) {
      return `ERROR: ${at}'request_slowlog_timeout' (${slowTimeout}) can't be greater than 'request_terminate_timeout' (${terminate})`
    }
  }
  const depth = pool.settings['request_slowlog_trace_depth']!
  if (depth.source === 'default') return undefined
  const value = Number.parseInt(depth.value ?? '0', 10) || 0
  if (value !== 0 && !pool.slowlog.value)
    return `ERROR: ${at}'slowlog' must be specified for use with 'request_slowlog_trace_depth'`
  if (value < 0) return `ERROR: ${at}'request_slowlog_trace_depth' (${value}) must be a positive value`
  return undefined
}

/** php-fpm compares the listen strings of every pair of pools and names the later pool first. */
function sharedListen(pools: EffectivePool[]): string | undefined {
  for (const pool of pools) {
    const address = pool.settings['listen']!.value
    const other = pools.find((candidate) => candidate !== pool && candidate.settings['listen']!.value === address)
    if (address && other)
      return `ERROR: [pool ${other.name}] unable to set listen address as it's already used in another pool '${pool.name}'`
  }
  return undefined
}

function unknownAccount(pools: EffectivePool[], options: PredictFpmTestOptions): string | undefined {
  for (const pool of pools) {
    const user = pool.user.value
    const group = pool.group.value
    if (options.users && user && !options.users.has(user) && !/^\d+$/.test(user)) {
      return `ERROR: [pool ${pool.name}] cannot get uid for user '${user}'`
    }
    if (options.groups && group && !options.groups.has(group) && !/^\d+$/.test(group)) {
      return `ERROR: [pool ${pool.name}] cannot get gid for group '${group}'`
    }
  }
  return undefined
}

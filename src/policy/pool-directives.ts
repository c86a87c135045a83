import {compareVersionKeys} from '../facts/install-version.js'
import {ARRAY_OPTIONS, POOL_OPTIONS, type OptionKind} from '../fpm/options.js'

/**
 * The PHP version (major.minor) from which php-fpm accepts each pool directive; php-fpm refuses a
 * pool entry it does not know, so a pool carried to an older version must drop these. From php-src
 * `sapi/fpm/fpm/fpm_conf.c` (ini_fpm_pool_options across branches) and the FPM configuration
 * manual (php/doc-en install/fpm/configuration.xml, "Available as of"). Directives php-fpm has had
 * since before 5.6 are listed as 5.6, the oldest version fpmfix plans for. Directives added in a
 * patch release of a branch (process.dumpable: 7.0.29) count from that branch, whose supported
 * packages all have them. Some exist only in builds with the feature: listen.acl_* (ACL),
 * listen.setfib (FreeBSD SO_SETFIB), apparmor_hat (AppArmor).
 */
const SINCE: Readonly<Record<string, string>> = {
  'process.dumpable': '7.0',
  request_slowlog_trace_depth: '7.2',
  decorate_workers_output: '7.3',
  request_terminate_timeout_track_finished: '7.3',
  'pm.status_listen': '8.0',
  'pm.max_spawn_rate': '8.1',
  'listen.setfib': '8.2',
  'access.suppress_path': '8.2',
}

/** The oldest PHP version whose pool directives fpmfix knows. */
export const OLDEST_KNOWN = '5.6'
const OLDEST_KEY = [5, 6]

/** A pool directive name as php-fpm matches it: option names lower-cased, `name[key]` → `name`. */
export function directiveName(key: string): string {
  const bracket = key.indexOf('[')
  return (bracket === -1 ? key : key.slice(0, bracket)).toLowerCase()
}

/** How php-fpm parses a pool directive (`php_flag[...]` is a boolean), or undefined when it is none. */
export function poolDirectiveKind(key: string): OptionKind | undefined {
  const name = directiveName(key)
  if (key.includes('[')) {
    if (!ARRAY_OPTIONS.has(name)) return undefined
    return name === 'php_flag' || name === 'php_admin_flag' ? 'boolean' : 'string'
  }
  return POOL_OPTIONS.get(name)
}

/** The `X.Y` from which php-fpm knows this pool directive; undefined when it never does. */
export function directiveSince(key: string): string | undefined {
  if (poolDirectiveKind(key) === undefined) return undefined
  return SINCE[directiveName(key)] ?? OLDEST_KNOWN
}

/** Whether php-fpm `version` (a version key, [8, 1]) accepts the pool directive `key`. */
export function knownToVersion(key: string, version: readonly number[]): boolean {
  const since = directiveSince(key)
  return since !== undefined && compareVersionKeys(version.slice(0, 2), since.split('.').map(Number)) >= 0
}

/** Whether fpmfix has a directive table for this version at all. */
export function versionCovered(version: readonly number[]): boolean {
  return compareVersionKeys(version, OLDEST_KEY) >= 0
}

/**
 * php-fpm's built-in pool defaults, from fpm_worker_pool_config_alloc and
 * fpm_conf_process_all_pools in php-src fpm_conf.c, as text in the spelling a
 * config file would use. Keys absent here have no default (unset).
 */

/**
 * listen.backlog: 511 on Linux up to PHP 8.1; -1 (the kernel's somaxconn) from
 * 8.2 on (php-src PR #8410; Debian's 8.2 www.conf says "511 (-1 on Linux,
 * FreeBSD and OpenBSD)" and php-fpm 8.2 -tt prints -1). Unknown version: 511.
 */
export function defaultListenBacklog(phpVersion: string | undefined): number {
  const [major, minor] = (phpVersion ?? '').split('.').map((part) => Number.parseInt(part, 10))
  if (major === undefined || Number.isNaN(major) || minor === undefined || Number.isNaN(minor)) return 511
  return major > 8 || (major === 8 && minor >= 2) ? -1 : 511
}

const STATIC_DEFAULTS: Readonly<Record<string, string>> = {
  // Unset numbers are 0 in php-fpm's config struct (and in its -tt dump); 0 fails the pm checks.
  'pm.max_children': '0',
  'pm.min_spare_servers': '0',
  'pm.max_spare_servers': '0',
  'listen.mode': '0660',
  'process.dumpable': 'no',
  'pm.max_spawn_rate': '32',
  'pm.process_idle_timeout': '10s',
  'pm.max_requests': '0',
  request_slowlog_timeout: '0',
  request_slowlog_trace_depth: '20',
  request_terminate_timeout: '0',
  request_terminate_timeout_track_finished: 'no',
  catch_workers_output: 'no',
  decorate_workers_output: 'yes',
  clear_env: 'yes',
  'security.limit_extensions': '.php .phar',
}

const DEFAULT_ACCESS_FORMAT = '%R - %u %t "%m %r" %s'

/**
 * The default for `key` given the pool's other settings (`get` returns a
 * setting's current text). Undefined means php-fpm leaves it unset.
 */
export function poolDefault(
  key: string,
  get: (key: string) => string | undefined,
  phpVersion?: string,
): string | undefined {
  if (key === 'listen.backlog') return String(defaultListenBacklog(phpVersion))
  if (key === 'pm.start_servers') return defaultStartServers(get)
  if (key === 'ping.response') return nonEmpty(get('ping.path')) ? 'pong' : undefined
  if (key === 'access.format') return nonEmpty(get('access.log')) ? DEFAULT_ACCESS_FORMAT : undefined
  return STATIC_DEFAULTS[key]
}

/** dynamic: min_spare + (max_spare - min_spare) / 2 (integer division); otherwise 0. */
function defaultStartServers(get: (key: string) => string | undefined): string {
  if (get('pm')?.toLowerCase() !== 'dynamic') return '0'
  const min = Number.parseInt(get('pm.min_spare_servers') ?? '0', 10) || 0
  const max = Number.parseInt(get('pm.max_spare_servers') ?? '0', 10) || 0
  return String(min + Math.trunc((max - min) / 2))
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== ''
}

/**
 * The directives php-fpm accepts and how it parses each one, after
 * ini_fpm_global_options / ini_fpm_pool_options in php-src fpm_conf.c.
 */

export type OptionKind = 'string' | 'integer' | 'time' | 'boolean' | 'pm' | 'log-level' | 'rlimit' | 'syslog-facility'

export const GLOBAL_OPTIONS: ReadonlyMap<string, OptionKind> = new Map<string, OptionKind>([
  ['pid', 'string'],
  ['error_log', 'string'],
  ['syslog.ident', 'string'],
  ['syslog.facility', 'syslog-facility'],
  ['log_buffering', 'boolean'],
  ['log_level', 'log-level'],
  ['log_limit', 'integer'],
  ['emergency_restart_threshold', 'integer'],
  ['emergency_restart_interval', 'time'],
  ['process_control_timeout', 'time'],
  ['process.max', 'integer'],
  ['process.priority', 'integer'],
  ['daemonize', 'boolean'],
  ['rlimit_files', 'integer'],
  ['rlimit_core', 'rlimit'],
  ['events.mechanism', 'string'],
  ['systemd_interval', 'time'],
])

export const POOL_OPTIONS: ReadonlyMap<string, OptionKind> = new Map<string, OptionKind>([
  ['prefix', 'string'],
  ['user', 'string'],
  ['group', 'string'],
  ['listen', 'string'],
  ['listen.backlog', 'integer'],
  ['listen.acl_users', 'string'],
  ['listen.acl_groups', 'string'],
  ['listen.owner', 'string'],
  ['listen.group', 'string'],
  ['listen.mode', 'string'],
  ['listen.allowed_clients', 'string'],
  ['listen.setfib', 'integer'],
  ['process.priority', 'integer'],
  ['process.dumpable', 'boolean'],
  ['pm', 'pm'],
  ['pm.max_children', 'integer'],
  ['pm.start_servers', 'integer'],
  ['pm.min_spare_servers', 'integer'],
  ['pm.max_spare_servers', 'integer'],
  ['pm.max_spawn_rate', 'integer'],
  ['pm.process_idle_timeout', 'time'],
  ['pm.max_requests', 'integer'],
  ['pm.status_path', 'string'],
  ['pm.status_listen', 'string'],
  ['ping.path', 'string'],
  ['ping.response', 'string'],
  ['access.log', 'string'],
  ['access.format', 'string'],
  ['slowlog', 'string'],
  ['request_slowlog_timeout', 'time'],
  ['request_slowlog_trace_depth', 'integer'],
  ['request_terminate_timeout', 'time'],
  ['request_terminate_timeout_track_finished', 'boolean'],
  ['rlimit_files', 'integer'],
  ['rlimit_core', 'rlimit'],
  ['chroot', 'string'],
  ['chdir', 'string'],
  ['catch_workers_output', 'boolean'],
  ['decorate_workers_output', 'boolean'],
  ['clear_env', 'boolean'],
  ['security.limit_extensions', 'string'],
  ['apparmor_hat', 'string'],
])

/** Array directives (`name[key] = value`); the flag forms are stored as "1"/"0". */
export const ARRAY_OPTIONS: ReadonlySet<string> = new Set([
  'env',
  'php_value',
  'php_admin_value',
  'php_flag',
  'php_admin_flag',
  'access.suppress_path',
])

/**
 * What php-fpm 8.2 takes for a boolean once the INI scanner has turned bare
 * yes/on/true into "1" and no/off/false/none into "": these exact lower-case
 * words (so a quoted "yes" passes and a quoted "Yes" does not; checked against
 * php-fpm 8.2.36).
 */
const BOOLEAN_WORDS = new Set(['1', 'yes', 'on', 'true', '', '0', 'no', 'off', 'false', 'none'])
const LOG_LEVELS = new Set(['debug', 'notice', 'warning', 'warn', 'error', 'alert'])
const FACILITIES = new Set([
  'auth',
  'authpriv',
  'cron',
  'daemon',
  'ftp',
  'kern',
  'lpr',
  'mail',
  'news',
  'syslog',
  'user',
  'uucp',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
])

/**
 * The error text php-fpm's option parser returns for a value it refuses
 * (fpm_conf_set_integer, _time, _boolean, _pm, …), or undefined when it accepts
 * it. `scalar` is the value after INI decoding (see iniScalar).
 */
export function optionValueError(kind: OptionKind, scalar: string): string | undefined {
  switch (kind) {
    case 'string':
      return undefined
    case 'integer':
      return /^-?\d*$/.test(scalar) ? undefined : 'is not a valid number (greater or equal than zero)'
    case 'rlimit':
      if (scalar.toLowerCase() === 'unlimited') return undefined
      if (!/^-?\d*$/.test(scalar)) return 'is not a valid number (greater or equal than zero)'
      return Number.parseInt(scalar || '0', 10) < 0 ? "must be greater than zero or 'unlimited'" : undefined
    case 'time':
      return timeValueError(scalar)
    case 'boolean':
      return BOOLEAN_WORDS.has(scalar) ? undefined : 'invalid boolean value'
    case 'pm':
      return ['static', 'dynamic', 'ondemand'].includes(scalar.toLowerCase())
        ? undefined
        : 'invalid process manager (static, dynamic or ondemand)'
    case 'log-level':
      return LOG_LEVELS.has(scalar.toLowerCase()) ? undefined : "invalid value for 'log_level'"
    case 'syslog-facility':
      return FACILITIES.has(scalar.toLowerCase()) ? undefined : 'invalid value'
  }
}

function timeValueError(scalar: string): string | undefined {
  if (scalar === '') return 'invalid time value'
  const suffix = scalar.at(-1)!
  if ('smhd'.includes(suffix)) return undefined
  return suffix >= '0' && suffix <= '9' ? undefined : 'unknown suffix used in time value'
}

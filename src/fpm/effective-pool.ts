import {FpmfixError} from '../errors.js'
import {poolDefault} from './defaults.js'
import {parseIniBoolean} from './ini-line.js'
import {POOL_OPTIONS, type OptionKind} from './options.js'
import type {FpmEffectiveConfig, FpmTtPool} from './tt-parser.js'
import type {
  FpmConfigSource,
  FpmDirective,
  FpmSectionOccurrence,
  ListenAddress,
  ProcessManager,
  SourcedValue,
  ValueSource,
} from './types.js'
import {atoi, parseDuration, parseListen, parseOctalMode, splitList} from './values.js'

export interface EffectivePoolOptions {
  /** e.g. `8.2.36`; picks version-dependent defaults (listen.backlog). */
  phpVersion?: string
}

export interface PoolArrayValue {
  key: string
  value: string
  source: ValueSource
}

/**
 * One pool's effective settings, each with where it comes from. Values come
 * from `php-fpm -tt` when it is given (that is what php-fpm really uses), else
 * from the files and php-fpm's defaults.
 */
export interface EffectivePool {
  name: string
  /** Every `[name]` header of this pool, in read order. */
  sections: FpmSectionOccurrence[]
  /** The file holding the last `[name]` header: a new directive goes there (see editTarget). */
  poolFile?: string
  /** Every pool option by its lower-case name, as text (php-fpm's dump spelling when from -tt). */
  settings: Record<string, SourcedValue<string | undefined>>
  listen: SourcedValue<ListenAddress | undefined>
  user: SourcedValue<string | undefined>
  /** Undefined: the user's primary group. */
  group: SourcedValue<string | undefined>
  /**
   * Undefined: php-fpm does not chown the socket, so it belongs to the user
   * running the master process (root under systemd). Ignored when ACLs are set.
   */
  listenOwner: SourcedValue<string | undefined>
  /** Undefined: the primary group of listen.owner, or of the master's user when that is unset too. */
  listenGroup: SourcedValue<string | undefined>
  listenMode: SourcedValue<number | undefined>
  /** -1 asks the kernel for its maximum (net.core.somaxconn). */
  listenBacklog: SourcedValue<number>
  listenAclUsers: SourcedValue<string[]>
  listenAclGroups: SourcedValue<string[]>
  /** Empty: any client. */
  listenAllowedClients: SourcedValue<string[]>
  pm: SourcedValue<ProcessManager | undefined>
  maxChildren: SourcedValue<number | undefined>
  startServers: SourcedValue<number | undefined>
  minSpareServers: SourcedValue<number | undefined>
  maxSpareServers: SourcedValue<number | undefined>
  maxSpawnRate: SourcedValue<number>
  /** Seconds. */
  processIdleTimeout: SourcedValue<number | undefined>
  maxRequests: SourcedValue<number>
  /** Seconds; 0 is off. */
  requestTerminateTimeout: SourcedValue<number | undefined>
  /** Seconds; 0 is off. */
  requestSlowlogTimeout: SourcedValue<number | undefined>
  slowlog: SourcedValue<string | undefined>
  statusPath: SourcedValue<string | undefined>
  pingPath: SourcedValue<string | undefined>
  catchWorkersOutput: SourcedValue<boolean | undefined>
  clearEnv: SourcedValue<boolean | undefined>
  /** php_value and php_flag, in definition order. */
  phpValues: PoolArrayValue[]
  /** php_admin_value and php_admin_flag, in definition order. */
  phpAdminValues: PoolArrayValue[]
  env: PoolArrayValue[]
}

/**
 * Merge what the files say about `poolName` with what `php-fpm -tt` reports.
 * A value defined in the files points at its last (winning) directive even
 * when its value is taken from -tt; one the files do not define is `default`
 * when it equals php-fpm's default and `tt-only` otherwise.
 */
export function effectivePool(
  source: FpmConfigSource | undefined,
  tt: FpmEffectiveConfig | undefined,
  poolName: string,
  options: EffectivePoolOptions = {},
): EffectivePool {
  const wanted = poolName.toLowerCase()
  const directives = (source?.directives ?? []).filter((directive) => directive.section.toLowerCase() === wanted)
  const sections = (source?.sections ?? []).filter((section) => section.name.toLowerCase() === wanted)
  const ttPool = tt?.pools.find((pool) => pool.name.toLowerCase() === wanted)
  if (sections.length === 0 && !ttPool) {
    throw new FpmfixError(
      'GATHER_PARSE',
      `No php-fpm pool named '${poolName}' in the config or the php-fpm -tt dump.`,
      {
        details: {pools: [...(source?.pools ?? []), ...(tt?.pools.map((pool) => pool.name) ?? [])]},
      },
    )
  }
  const lastByKey = new Map<string, FpmDirective>()
  for (const directive of directives) if (directive.arrayName === undefined) lastByKey.set(directive.key, directive)
  const settings = resolveSettings(lastByKey, ttPool, options.phpVersion)
  const prefix = source?.prefix
  const setting = (key: string) => settings[key]!
  const typed = <T>(key: string, convert: (text: string) => T | undefined) => mapValue(setting(key), convert)
  const pm = typed('pm', (text) => toProcessManager(text))
  return {
    name: ttPool?.name ?? sections[0]!.name,
    sections,
    ...(sections.length > 0 ? {poolFile: sections.at(-1)!.file} : {}),
    settings,
    listen: typed('listen', (text) => parseListen(text, setting('prefix').value ?? prefix)),
    user: typed('user', nonEmpty),
    group: typed('group', nonEmpty),
    listenOwner: typed('listen.owner', nonEmpty),
    listenGroup: typed('listen.group', nonEmpty),
    listenMode: typed('listen.mode', parseOctalMode),
    listenBacklog: typed('listen.backlog', atoi) as SourcedValue<number>,
    listenAclUsers: mapValue(setting('listen.acl_users'), splitList, []),
    listenAclGroups: mapValue(setting('listen.acl_groups'), splitList, []),
    listenAllowedClients: mapValue(setting('listen.allowed_clients'), splitList, []),
    pm,
    maxChildren: typed('pm.max_children', atoi),
    startServers: startServers(settings, pm.value),
    minSpareServers: spareServers(typed('pm.min_spare_servers', atoi), pm.value),
    maxSpareServers: spareServers(typed('pm.max_spare_servers', atoi), pm.value),
    maxSpawnRate: typed('pm.max_spawn_rate', atoi) as SourcedValue<number>,
    processIdleTimeout: typed('pm.process_idle_timeout', parseDuration),
    maxRequests: typed('pm.max_requests', atoi) as SourcedValue<number>,
    requestTerminateTimeout: typed('request_terminate_timeout', parseDuration),
    requestSlowlogTimeout: typed('request_slowlog_timeout', parseDuration),
    slowlog: typed('slowlog', nonEmpty),
    statusPath: typed('pm.status_path', nonEmpty),
    pingPath: typed('ping.path', nonEmpty),
    catchWorkersOutput: typed('catch_workers_output', parseIniBoolean),
    clearEnv: typed('clear_env', parseIniBoolean),
    phpValues: arrayValues(directives, ttPool?.phpValues, ['php_value', 'php_flag']),
    phpAdminValues: arrayValues(directives, ttPool?.phpAdminValues, ['php_admin_value', 'php_admin_flag']),
    env: arrayValues(directives, ttPool?.env, ['env']),
  }
}

function resolveSettings(
  lastByKey: ReadonlyMap<string, FpmDirective>,
  ttPool: FpmTtPool | undefined,
  phpVersion: string | undefined,
): Record<string, SourcedValue<string | undefined>> {
  const explicit = (key: string): string | undefined => {
    if (ttPool && key in ttPool.values) return ttPool.values[key] ?? undefined
    return lastByKey.get(key)?.value
  }
  const settings: Record<string, SourcedValue<string | undefined>> = {}
  for (const [key, kind] of POOL_OPTIONS) {
    const directive = lastByKey.get(key)
    const fallback = poolDefault(key, explicit, phpVersion)
    if (ttPool && key in ttPool.values) {
      // `undefined` in the dump: unset, so php-fpm applies its default later (listen.mode 0660).
      const value = ttPool.values[key] ?? fallback
      const candidates = key === 'listen.backlog' && phpVersion === undefined ? ['511', '-1'] : [fallback]
      const isDefault = candidates.some((candidate) => sameValue(kind, value, candidate))
      const source: ValueSource = directive ? at(directive) : isDefault ? 'default' : 'tt-only'
      settings[key] = {value, source}
    } else if (directive) settings[key] = {value: directive.value, source: at(directive)}
    else settings[key] = {value: fallback, source: 'default'}
  }
  return settings
}

/**
 * php-fpm uses the computed default when a dynamic pool's start_servers is
 * unset or not positive, and zeroes it for ondemand pools.
 */
function startServers(
  settings: Record<string, SourcedValue<string | undefined>>,
  pm: ProcessManager | undefined,
): SourcedValue<number | undefined> {
  const current = spareServers(mapValue(settings['pm.start_servers']!, atoi), pm)
  if (pm !== 'dynamic' || (current.value ?? 0) > 0) return current
  return {value: atoi(poolDefault('pm.start_servers', (key) => settings[key]?.value) ?? '0'), source: 'default'}
}

/** An ondemand pool ignores the spare-server numbers: php-fpm sets them to 0. */
function spareServers(
  current: SourcedValue<number | undefined>,
  pm: ProcessManager | undefined,
): SourcedValue<number | undefined> {
  return pm === 'ondemand' ? {value: 0, source: current.source} : current
}

function arrayValues(
  directives: FpmDirective[],
  dumped: Array<{key: string; value: string}> | undefined,
  names: string[],
): PoolArrayValue[] {
  const defined = directives.filter(
    (directive) => directive.arrayName !== undefined && names.includes(directive.arrayName),
  )
  if (!dumped)
    return defined.map((directive) => ({key: directive.arrayKey!, value: flagValue(directive), source: at(directive)}))
  const used = new Set<FpmDirective>()
  return dumped.map(({key, value}) => {
    const directive = defined.find((candidate) => candidate.arrayKey === key && !used.has(candidate))
    if (directive) used.add(directive)
    return {key, value, source: directive ? at(directive) : 'tt-only'}
  })
}

/** php_flag values are stored as "1"/"0", as php-fpm does. */
function flagValue(directive: FpmDirective): string {
  if (directive.arrayName !== 'php_flag' && directive.arrayName !== 'php_admin_flag') return directive.value
  return parseIniBoolean(directive.value) ? '1' : '0'
}

/** Numbers and flags php-fpm leaves unset are zero in its config struct, and dumped as such. */
function sameValue(kind: OptionKind, dumped: string | undefined, fallback: string | undefined): boolean {
  if (dumped === undefined) return fallback === undefined
  if (fallback === undefined) {
    if (kind === 'boolean') return parseIniBoolean(dumped) === false
    if (kind === 'integer' || kind === 'rlimit') return atoi(dumped) === 0
    if (kind === 'time') return parseDuration(dumped) === 0
    return false
  }
  switch (kind) {
    case 'integer':
    case 'rlimit':
      return atoi(dumped) === atoi(fallback)
    case 'time':
      return parseDuration(dumped) === parseDuration(fallback)
    case 'boolean':
      return parseIniBoolean(dumped) === parseIniBoolean(fallback)
    default:
      return dumped === fallback
  }
}

function mapValue<T>(
  sourced: SourcedValue<string | undefined>,
  convert: (text: string) => T | undefined,
): SourcedValue<T | undefined>
function mapValue<T>(sourced: SourcedValue<string | undefined>, convert: (text: string) => T, empty: T): SourcedValue<T>
function mapValue<T>(
  sourced: SourcedValue<string | undefined>,
  convert: (text: string) => T | undefined,
  empty?: T,
): SourcedValue<T | undefined> {
  const value = sourced.value === undefined ? empty : convert(sourced.value)
  return {value, source: sourced.source}
}

function at(directive: FpmDirective): ValueSource {
  return {file: directive.file, line: directive.line}
}

function nonEmpty(text: string): string | undefined {
  return text === '' ? undefined : text
}

function toProcessManager(text: string): ProcessManager | undefined {
  const lower = text.toLowerCase()
  return lower === 'static' || lower === 'dynamic' || lower === 'ondemand' ? lower : undefined
}

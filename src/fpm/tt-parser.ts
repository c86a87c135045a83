import {FpmfixError} from '../errors.js'

export type FpmTtLevel = 'DEBUG' | 'NOTICE' | 'WARNING' | 'ERROR' | 'ALERT' | 'PHP'

/** A line of `php-fpm -tt` output that is not part of the config dump. */
export interface FpmTtMessage {
  level: FpmTtLevel
  /** The text after `LEVEL: ` (for `PHP` lines, the whole line). */
  message: string
}

export interface FpmTtArrayEntry {
  key: string
  value: string
}

export interface FpmTtPool {
  name: string
  /** Every scalar `key = value` of the dump; null where php-fpm printed `undefined`. */
  values: Record<string, string | null>
  /** In definition order (php-fpm dumps these lists last-defined first). */
  env: FpmTtArrayEntry[]
  /** php_value and php_flag (flags dumped as "1"/"0"). */
  phpValues: FpmTtArrayEntry[]
  /** php_admin_value and php_admin_flag. */
  phpAdminValues: FpmTtArrayEntry[]
  accessSuppressPaths: string[]
}

export interface FpmEffectiveConfig {
  /** The test passed: the success line is there and nothing was logged at ERROR or ALERT. */
  ok: boolean
  /** The config file named in the success line. */
  configFile?: string
  /** php-fpm's ERROR/ALERT lines and PHP parser errors, verbatim without the timestamp. */
  errors: string[]
  /** WARNING lines, verbatim without the timestamp. */
  warnings: string[]
  /** Every line outside the dump (notices such as `pm.start_servers is not set` included). */
  messages: FpmTtMessage[]
  global: Record<string, string | null>
  pools: FpmTtPool[]
}

const LOG_LINE =
  /^(?:\[\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}\] )?(DEBUG|NOTICE|WARNING|ERROR|ALERT): (?:pid \d+, \S+\(\), line \d+: )?(.*)$/
const PHP_LINE = /^PHP(?: [A-Za-z ]+)?: {1,2}\S/
const SUCCESS = /^configuration file (.+) test is successful$/
const SECTION = /^\[([^\]]+)\]$/
const ARRAY_KEY = /^([a-z_.]+)\[(.*)\]$/

/**
 * Read the output of `php-fpm -tt` (stderr). On success it holds the dump of
 * every effective global and pool setting; on failure the php-fpm errors and no
 * dump, or part of one. Throws GATHER_PARSE when the text is not php-fpm output
 * at all (a shell error, an empty capture).
 */
export function parseFpmTt(output: string): FpmEffectiveConfig {
  const lines = undouble(
    output
      .split('\n')
      .map((line) => line.replace(/\r$/, ''))
      .filter((line) => line.trim() !== ''),
  )
  const result: FpmEffectiveConfig = {ok: false, errors: [], warnings: [], messages: [], global: {}, pools: []}
  let section: Record<string, string | null> | undefined
  let pool: FpmTtPool | undefined
  let recognized = 0
  for (const line of lines) {
    const log = LOG_LINE.exec(line)
    if (!log) {
      if (PHP_LINE.test(line)) {
        recognized++
        result.errors.push(line)
        result.messages.push({level: 'PHP', message: line})
      }
      continue
    }
    recognized++
    const level = log[1] as FpmTtLevel
    const message = log[2]!
    if (level === 'NOTICE' && section && message.startsWith('\t')) {
      addDumpLine(message.slice(1), section, pool)
      continue
    }
    if (level === 'NOTICE' && message.trim() === '' && section) continue
    const header = level === 'NOTICE' ? SECTION.exec(message) : null
    if (header) {
      pool = header[1] === 'global' ? undefined : newPool(header[1]!)
      if (pool) result.pools.push(pool)
      section = pool ? pool.values : result.global
      continue
    }
    section = undefined
    pool = undefined
    const success = level === 'NOTICE' ? SUCCESS.exec(message) : null
    if (success) result.configFile = success[1]!
    if (level === 'ERROR' || level === 'ALERT') result.errors.push(`${level}: ${message}`)
    if (level === 'WARNING') result.warnings.push(`${level}: ${message}`)
    result.messages.push({level, message})
  }
  if (recognized === 0) {
    throw new FpmfixError('GATHER_PARSE', 'The php-fpm -tt output has no php-fpm log line in it.', {
      hint: 'Check that the php-fpm binary ran (it prints the test result on stderr, so capture 2>&1).',
      details: {output: output.slice(0, 500)},
    })
  }
  result.ok = result.configFile !== undefined && result.errors.length === 0
  return result
}

function newPool(name: string): FpmTtPool {
  return {name, values: {}, env: [], phpValues: [], phpAdminValues: [], accessSuppressPaths: []}
}

function addDumpLine(text: string, section: Record<string, string | null>, pool: FpmTtPool | undefined): void {
  const separator = text.indexOf(' = ')
  const key = separator < 0 ? text.replace(/ =$/, '') : text.slice(0, separator)
  const value = separator < 0 ? '' : text.slice(separator + 3)
  const array = ARRAY_KEY.exec(key)
  if (array && pool) {
    const entry = {key: array[2]!, value}
    // php-fpm prepends each entry to its list, so the dump is last-defined first.
    if (array[1] === 'env') pool.env.unshift(entry)
    else if (array[1] === 'php_value') pool.phpValues.unshift(entry)
    else if (array[1] === 'php_admin_value') pool.phpAdminValues.unshift(entry)
    else if (array[1] === 'access.suppress_path') pool.accessSuppressPaths.unshift(value)
    return
  }
  section[key] = value === 'undefined' ? null : value
}

/**
 * With `error_log = /proc/self/fd/2` (Docker) and stderr on a pipe, php-fpm
 * writes every line twice; keep one copy when the whole output is doubled.
 */
function undouble(lines: string[]): string[] {
  if (lines.length === 0 || lines.length % 2 !== 0) return lines
  for (let i = 0; i < lines.length; i += 2) if (lines[i] !== lines[i + 1]) return lines
  return lines.filter((_, index) => index % 2 === 0)
}

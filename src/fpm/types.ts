import type {Address} from '../model/facts.js'

/** A position in a config file (1-based line; 0 for the file as a whole). */
export interface FileLine {
  file: string
  line: number
}

/**
 * Where an effective value comes from: the last directive that sets it, the
 * php-fpm built-in default, or `php-fpm -tt` alone (a value no file we read
 * explains: another include tree, a `-d`, a build default we do not model).
 */
export type ValueSource = FileLine | 'default' | 'tt-only'

export interface SourcedValue<T> {
  value: T
  source: ValueSource
}

export type ListenAddress = Address

export type ProcessManager = 'static' | 'dynamic' | 'ondemand'

/** One `key = value` line as php-fpm reads it, with where it is. */
export interface FpmDirective extends FileLine {
  /** The section the line belongs to: `global` or the pool name (first spelling seen). */
  section: string
  /** Lower-cased option name (`listen.owner`) or the array form (`php_admin_value[error_log]`). */
  key: string
  /** `php_value`, `php_admin_value`, `php_flag`, `php_admin_flag`, `env`, `access.suppress_path`. */
  arrayName?: string
  arrayKey?: string
  /** The value php-fpm stores: unquoted, concatenated, `$pool` expanded; `${VAR}` kept verbatim. */
  value: string
  /** The value text exactly as written between `=` and the comment/end of line. */
  rawValue: string
  /** Some part was quoted: bare yes/no words are booleans only when unquoted (see iniScalar). */
  quoted: boolean
  /** The whole line as written, without its line ending. */
  rawLine: string
}

/** One `[name]` header; a pool may have several (Docker's www in three files). */
export interface FpmSectionOccurrence extends FileLine {
  name: string
  /** The last line of this occurrence in its file (before the next header or end of file). */
  endLine: number
}

export interface FpmInclude extends FileLine {
  pattern: string
  /** The pattern after prefixing a relative one with the install prefix. */
  resolved: string
  matched: string[]
}

export interface FpmConfigIssue extends FileLine {
  severity: 'error' | 'warning'
  /** The message php-fpm prints for it where it prints one, else a description. */
  message: string
}

export interface FpmConfigSource {
  mainConfig: string
  /** The install prefix used for relative includes (`-p`, or the build prefix). */
  prefix: string
  /** Every file read, in the order php-fpm reads them. */
  files: string[]
  directives: FpmDirective[]
  sections: FpmSectionOccurrence[]
  includes: FpmInclude[]
  issues: FpmConfigIssue[]
  /** Pool names in the order php-fpm creates them. */
  pools: string[]
}

import {posix} from 'node:path'

import {FpmfixError} from '../errors.js'
import {globMatch} from '../util/glob.js'
import {iniScalar, parseIniLine, type IniEntryLine} from './ini-line.js'
import {ARRAY_OPTIONS, GLOBAL_OPTIONS, POOL_OPTIONS, optionValueError} from './options.js'
import type {FpmConfigIssue, FpmConfigSource, FpmDirective, FpmInclude, FpmSectionOccurrence} from './types.js'

export interface FpmFile {
  path: string
  content: string
}

export interface ParseFpmFilesOptions {
  /** php-fpm's prefix (`-p`); relative `include=` patterns are taken from it. */
  prefix?: string
}

/** php-fpm stops at this include depth (fpm_conf_load_ini_file: `ini_recursion++ > 4`). */
const MAX_DEPTH = 5

/**
 * Read php-fpm.conf and every file it includes, the way php-fpm does: line by
 * line, includes expanded in place (glob order), the current section carried
 * across file boundaries, a section seen again reopened (later lines override).
 * Every directive keeps its file, line and raw text.
 */
export function parseFpmFiles(
  files: readonly FpmFile[],
  mainConfigPath: string,
  options: ParseFpmFilesOptions = {},
): FpmConfigSource {
  const contents = new Map(files.map((file) => [posix.normalize(file.path), file.content]))
  const mainConfig = posix.normalize(mainConfigPath)
  if (!contents.has(mainConfig)) {
    throw new FpmfixError(
      'GATHER_PARSE',
      `The php-fpm config ${mainConfig} is not among the ${files.length} file(s) read.`,
      {
        hint: 'Read the main config named by the php-fpm service (-y/--fpm-config) along with its pool files.',
        details: {mainConfig, files: [...contents.keys()]},
      },
    )
  }
  const reader = new ConfigReader(contents, options.prefix ?? guessPrefix(mainConfig))
  reader.load(mainConfig, 1)
  return reader.result(mainConfig)
}

/** `<prefix>/etc/php-fpm.conf` is a source-built or Docker layout; packages use /usr. */
export function guessPrefix(mainConfig: string): string {
  const match = /^(.+)\/etc\/php-fpm\.conf$/.exec(mainConfig)
  return match ? match[1]! : '/usr'
}

class ConfigReader {
  private readonly files: string[] = []
  private readonly directives: FpmDirective[] = []
  private readonly sections: FpmSectionOccurrence[] = []
  private readonly includes: FpmInclude[] = []
  private readonly issues: FpmConfigIssue[] = []
  private readonly pools = new Map<string, string>()
  private current = 'global'

  constructor(
    private readonly contents: ReadonlyMap<string, string>,
    private readonly prefix: string,
  ) {}

  result(mainConfig: string): FpmConfigSource {
    if (this.pools.size === 0) {
      this.issue(mainConfig, 0, 'error', 'No pool defined. at least one pool section must be specified in config file')
    }
    return {
      mainConfig,
      prefix: this.prefix,
      files: this.files,
      directives: this.directives,
      sections: this.sections,
      includes: this.includes,
      issues: this.issues,
      pools: [...this.pools.values()],
    }
  }

  load(file: string, depth: number): void {
    this.files.push(file)
    const lines = splitLines(this.contents.get(file) ?? '')
    let open: FpmSectionOccurrence | undefined
    const close = (endLine: number) => {
      if (open) open.endLine = endLine
      open = undefined
    }
    lines.forEach((rawLine, index) => {
      const line = index + 1
      const parsed = parseIniLine(rawLine)
      switch (parsed.kind) {
        case 'blank':
        case 'comment':
          return
        case 'hash':
          this.issue(file, line, 'error', hashLineMessage(file, line, rawLine))
          return
        case 'invalid':
          this.issue(file, line, 'error', `[${file}:${line}] ${parsed.problem}`)
          return
        case 'section': {
          close(line - 1)
          if (parsed.problem) this.issue(file, line, 'error', `[${file}:${line}] ${parsed.problem}`)
          open = this.enterSection(parsed.name, file, line, lines.length)
          return
        }
        case 'entry':
          if (parsed.problem) this.issue(file, line, 'error', `PHP:  ${parsed.problem}`)
          if (parsed.name === 'include' && parsed.arrayKey === undefined) {
            close(line)
            this.include(parsed.value, file, line, depth)
            return
          }
          this.entry(parsed, file, line, rawLine)
      }
    })
    close(lines.length)
  }

  private enterSection(name: string, file: string, line: number, lastLine: number): FpmSectionOccurrence | undefined {
    if (name.toLowerCase() === 'global') {
      this.current = 'global'
      return undefined
    }
    const canonical = this.pools.get(name.toLowerCase()) ?? name
    this.pools.set(name.toLowerCase(), canonical)
    this.current = canonical
    const occurrence = {name: canonical, file, line, endLine: lastLine}
    this.sections.push(occurrence)
    return occurrence
  }

  private include(pattern: string, file: string, line: number, depth: number): void {
    const resolved = pattern.startsWith('/') ? posix.normalize(pattern) : posix.join(this.prefix, pattern)
    const matched = globMatch(resolved, this.contents.keys())
    this.includes.push({file, line, pattern, resolved, matched})
    if (matched.length === 0) {
      this.issue(
        file,
        line,
        'warning',
        `Nothing matches the include pattern '${resolved}' from ${file} at line ${line}.`,
      )
      return
    }
    for (const target of matched) {
      if (depth >= MAX_DEPTH) {
        this.issue(file, line, 'error', 'failed to include more than 5 files recursively')
        return
      }
      this.load(target, depth + 1)
    }
  }

  private entry(parsed: IniEntryLine, file: string, line: number, rawLine: string): void {
    const inPool = this.current !== 'global'
    const at = `[${file}:${line}]`
    const expand = (text: string) => (inPool ? text.replaceAll('$pool', this.current) : text)
    const base = {file, line, rawLine, section: this.current, rawValue: parsed.rawValue, quoted: parsed.quoted}
    if (parsed.arrayKey !== undefined) {
      const arrayName = parsed.name
      const flag = arrayName === 'php_flag' || arrayName === 'php_admin_flag'
      if (!ARRAY_OPTIONS.has(arrayName)) this.issue(file, line, 'error', `${at} unknown directive '${arrayName}'`)
      else if (!inPool) this.issue(file, line, 'error', `${at} Array are not allowed in the global section`)
      else if (parsed.arrayKey === '' && arrayName !== 'access.suppress_path') {
        this.issue(file, line, 'error', `${at} You must provide a key for field '${arrayName}'`)
      } else if (arrayName === 'env' && parsed.value === '') this.issue(file, line, 'error', `${at} empty value`)
      else if (flag && optionValueError('boolean', iniScalar(parsed))) {
        this.issue(
          file,
          line,
          'error',
          `${at} error while parsing '${arrayName}[${parsed.arrayKey}]' : invalid boolean value`,
        )
      }
      this.directives.push({
        ...base,
        key: `${arrayName}[${parsed.arrayKey}]`,
        arrayName,
        arrayKey: parsed.arrayKey,
        value: flag ? parsed.value : expand(parsed.value),
      })
      return
    }
    const key = parsed.name.toLowerCase()
    const kind = (inPool ? POOL_OPTIONS : GLOBAL_OPTIONS).get(key)
    if (kind === undefined) this.issue(file, line, 'error', `${at} unknown entry '${parsed.name}'`)
    else {
      const error = optionValueError(kind, iniScalar(parsed))
      if (error) this.issue(file, line, 'error', `${at} unable to parse value for entry '${key}': ${error}`)
      if (!inPool && kind === 'string' && parsed.value.includes('$pool')) {
        this.issue(
          file,
          line,
          'error',
          `${at} unable to parse value for entry '${key}': Can't use '$pool' when the pool is not defined`,
        )
      }
    }
    this.directives.push({...base, key, value: kind === 'string' ? expand(parsed.value) : parsed.value})
  }

  private issue(file: string, line: number, severity: FpmConfigIssue['severity'], message: string): void {
    this.issues.push({file, line, severity, message})
  }
}

/** PHP 7 dropped `#` comments: php-fpm reads such a line as a key and refuses it. */
function hashLineMessage(file: string, line: number, rawLine: string): string {
  const equalsAt = rawLine.indexOf('=')
  const semicolonAt = rawLine.indexOf(';')
  if (equalsAt < 0 || (semicolonAt >= 0 && semicolonAt < equalsAt)) {
    return `[${file}:${line}] value is NULL for a ZEND_INI_PARSER_ENTRY`
  }
  return `[${file}:${line}] unknown entry '${rawLine.slice(0, equalsAt).trim()}'`
}

/** Lines without their endings; a final line ending does not start another line. */
export function splitLines(content: string): string[] {
  const lines = content.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
  if (lines.at(-1) === '') lines.pop()
  return lines
}

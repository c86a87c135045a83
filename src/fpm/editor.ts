import {FpmfixError} from '../errors.js'
import {formatIniValue, parseIniLine, type IniEntryLine} from './ini-line.js'

/**
 * Line-level edits of php-fpm config files. Only the touched line changes (or
 * one line is added); every other byte, line endings included, stays as it was.
 *
 * Placement of a directive a section does not have yet: right after the last
 * commented sample of that key in the section (`;listen.mode = 0660` in the
 * stock www.conf), so the new line sits with its documentation and the sample
 * stays intact as a record of the packaged default; without a sample, after
 * the section's last directive (before any trailing comments and blank lines,
 * which usually introduce what follows), and never after an `include=` line,
 * whose included files would otherwise own what comes next.
 */

export interface SetDirectiveRequest {
  /** `global` or the pool name, as in its `[name]` header. */
  poolSection: string
  /** The directive as it should be written: `listen.mode`, `php_admin_value[memory_limit]`. */
  key: string
  /** The value php-fpm should read; quoted on write when it needs it. */
  value: string
  /** 1-based line of the occurrence to change; found in the section when omitted. */
  line?: number
}

interface Line {
  text: string
  eol: string
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.]*(\[[^\]\r\n]*\])?$/

/** Change the value of `key` in `poolSection` of this file, or add the directive there. */
export function setPoolDirective(fileText: string, request: SetDirectiveRequest): string {
  checkRequest(request)
  const lines = splitKeepingEol(fileText)
  const target = request.line ?? findDirective(lines, request.poolSection, request.key)
  if (target !== undefined) {
    const index = lineIndex(lines, target)
    const entry = entryAt(lines, index, request.key)
    lines[index] = {...lines[index]!, text: replaceValue(lines[index]!.text, entry, formatIniValue(request.value))}
    return joinLines(lines)
  }
  return joinLines(insertDirective(lines, request))
}

/** Disable the directive on `line` the php-fpm way: a leading `;`. */
export function commentOutDirective(fileText: string, line: number): string {
  const lines = splitKeepingEol(fileText)
  const index = lineIndex(lines, line)
  const parsed = parseIniLine(lines[index]!.text)
  if (parsed.kind !== 'entry') {
    throw new FpmfixError('PLAN_STALE', `Line ${line} holds no directive to comment out.`, {
      hint: 'The file changed since it was read; run plan again.',
      details: {line, text: lines[index]!.text},
    })
  }
  lines[index] = {...lines[index]!, text: `;${lines[index]!.text}`}
  return joinLines(lines)
}

function checkRequest(request: SetDirectiveRequest): void {
  if (!KEY.test(request.key)) {
    throw new FpmfixError('USAGE', `'${request.key}' is not a php-fpm directive name.`, {details: {key: request.key}})
  }
  if (/[\r\n\0]/.test(request.value)) {
    throw new FpmfixError(
      'USAGE',
      `The value for ${request.key} contains a line break or NUL, which php-fpm cannot read.`,
      {
        details: {key: request.key},
      },
    )
  }
}

function insertDirective(lines: Line[], request: SetDirectiveRequest): Line[] {
  const section = sectionRange(lines, request.poolSection)
  if (!section) {
    throw new FpmfixError('PLAN_STALE', `The file has no [${request.poolSection}] section to add ${request.key} to.`, {
      hint: 'The file changed since it was read; run plan again.',
      details: {poolSection: request.poolSection, key: request.key},
    })
  }
  const sample = lastIndex(section.start, section.end, (index) => isCommentedSample(lines[index]!.text, request.key))
  const lastEntry = lastIndex(section.start, section.end, (index) => parseIniLine(lines[index]!.text).kind === 'entry')
  const anchor = sample ?? lastEntry ?? section.header
  const styleLine = lastEntry ?? sample
  const newText = formatLine(
    styleLine === undefined ? undefined : lines[styleLine]!.text,
    request.key,
    formatIniValue(request.value),
  )
  const eol = dominantEol(lines)
  const before = lines.slice(0, anchor + 1)
  const after = lines.slice(anchor + 1)
  const last = before.at(-1)
  if (last && last.eol === '') before[before.length - 1] = {...last, eol}
  return [...before, {text: newText, eol: after.length > 0 || last?.eol !== '' ? eol : ''}, ...after]
}

/**
 * The last `[poolSection]` header of the file and the lines it owns: up to the
 * next header, the first `include=` (what follows belongs to the included
 * files' last section) or the end. `global` also owns lines before any header.
 */
function sectionRange(lines: Line[], poolSection: string): {header: number; start: number; end: number} | undefined {
  const wanted = poolSection.toLowerCase()
  let header: number | undefined
  lines.forEach((line, index) => {
    const parsed = parseIniLine(line.text)
    if (parsed.kind === 'section' && parsed.name.toLowerCase() === wanted) header = index
  })
  if (header === undefined && wanted === 'global') {
    const firstHeader = lines.findIndex((line) => parseIniLine(line.text).kind === 'section')
    if (firstHeader !== 0) return {header: -1, start: 0, end: firstHeader < 0 ? lines.length : firstHeader}
  }
  if (header === undefined) return undefined
  let end = header + 1
  while (end < lines.length) {
    const parsed = parseIniLine(lines[end]!.text)
    if (parsed.kind === 'section' || (parsed.kind === 'entry' && parsed.name === 'include')) break
    end++
  }
  return {header, start: header + 1, end}
}

function findDirective(lines: Line[], poolSection: string, key: string): number | undefined {
  const section = sectionRange(lines, poolSection)
  if (!section) return undefined
  const found = lastIndex(section.start, section.end, (index) => {
    const parsed = parseIniLine(lines[index]!.text)
    return parsed.kind === 'entry' && sameKey(parsed, key)
  })
  return found === undefined ? undefined : found + 1
}

function entryAt(lines: Line[], index: number, key: string): IniEntryLine {
  const parsed = parseIniLine(lines[index]!.text)
  if (parsed.kind !== 'entry' || !sameKey(parsed, key)) {
    throw new FpmfixError('PLAN_STALE', `Line ${index + 1} does not set ${key} any more.`, {
      hint: 'The file changed since it was read; run plan again.',
      details: {line: index + 1, key, text: lines[index]!.text},
    })
  }
  return parsed
}

/** Option names compare case-insensitively (php-fpm uses strcasecmp); array keys exactly. */
function sameKey(entry: IniEntryLine, key: string): boolean {
  const written = entry.arrayKey === undefined ? entry.name : `${entry.name}[${entry.arrayKey}]`
  return entry.arrayKey === undefined ? written.toLowerCase() === key.toLowerCase() : written === key
}

function replaceValue(text: string, entry: IniEntryLine, formatted: string): string {
  if (entry.rawValue !== '') return text.slice(0, entry.valueStart) + formatted + text.slice(entry.valueEnd)
  const afterEquals = text.slice(entry.equalsAt + 1)
  const spaced = /^[ \t]/.test(afterEquals) || /[ \t]$/.test(text.slice(entry.keyStart, entry.equalsAt))
  const lead = afterEquals.length - afterEquals.trimStart().length
  const insertAt = entry.equalsAt + 1 + lead
  const pad = lead === 0 && spaced ? ' ' : ''
  const rest = text.slice(insertAt)
  const tail = rest.startsWith(';') ? ' ' : ''
  return text.slice(0, insertAt) + pad + formatted + tail + rest
}

/** A new line in the style of a neighbour: its indentation and its spacing around `=`. */
function formatLine(neighbour: string | undefined, key: string, formatted: string): string {
  const indent = neighbour === undefined ? '' : /^[ \t]*/.exec(neighbour.replace(/^([ \t]*);[ \t]*/, '$1'))![0]
  const tight = neighbour !== undefined && /^[ \t]*;?[ \t]*[^=;\s]+=\S/.test(neighbour)
  if (tight) return `${indent}${key}=${formatted}`
  return formatted === '' ? `${indent}${key} =` : `${indent}${key} = ${formatted}`
}

function isCommentedSample(text: string, key: string): boolean {
  const match = /^[ \t]*;+[ \t]*([^=;\s]+)[ \t]*=/.exec(text)
  return match !== null && match[1]!.toLowerCase() === key.toLowerCase()
}

function lastIndex(start: number, end: number, test: (index: number) => boolean): number | undefined {
  for (let index = end - 1; index >= start; index--) if (test(index)) return index
  return undefined
}

function lineIndex(lines: Line[], line: number): number {
  if (!Number.isInteger(line) || line < 1 || line > lines.length) {
    throw new FpmfixError('PLAN_STALE', `Line ${line} is outside the file (${lines.length} lines).`, {
      hint: 'The file changed since it was read; run plan again.',
      details: {line, lines: lines.length},
    })
  }
  return line - 1
}

function splitKeepingEol(text: string): Line[] {
  const lines: Line[] = []
  // php-fpm splits on \n only; a \r before it is part of the ending.
  const pattern = /([^\n]*?)(\r\n|\n)/gy
  let consumed = 0
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    lines.push({text: match[1]!, eol: match[2]!})
    consumed = pattern.lastIndex
  }
  if (consumed < text.length) lines.push({text: text.slice(consumed), eol: ''})
  return lines
}

function joinLines(lines: Line[]): string {
  return lines.map((line) => line.text + line.eol).join('')
}

function dominantEol(lines: Line[]): string {
  const crlf = lines.filter((line) => line.eol === '\r\n').length
  const lf = lines.filter((line) => line.eol === '\n').length
  return crlf > lf ? '\r\n' : '\n'
}

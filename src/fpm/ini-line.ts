/**
 * One line of a php-fpm config file, read the way php-fpm reads it: it hands
 * every line to the Zend INI scanner on its own (fpm_conf_load_ini_file), so a
 * statement never spans lines. Offsets are kept so the editor can rewrite just
 * the value and leave every other byte alone.
 */

export interface IniEntryLine {
  kind: 'entry'
  /** The key before any `[...]`, as written (trimmed). */
  name: string
  /** The text inside `[...]` for array keys (`php_value[memory_limit]`); '' for `name[]`. */
  arrayKey?: string
  /** The value php-fpm receives: quotes removed, parts joined, escapes applied, `${VAR}` kept. */
  value: string
  /** Value text as written, from its first to its last non-blank character before any comment. */
  rawValue: string
  quoted: boolean
  /** Unquoted `& | ^ ~ ( ) !`: the scanner evaluates these as an expression. */
  expression: boolean
  envRefs: string[]
  /** PHP's parser error for the line (`syntax error, … in Unknown on line N`), if it has one. */
  problem?: string
  keyStart: number
  keyEnd: number
  equalsAt: number
  valueStart: number
  valueEnd: number
  commentAt?: number
}

export type IniLine =
  | {kind: 'blank'}
  | {kind: 'comment'}
  | {kind: 'hash'}
  | {kind: 'section'; name: string; problem?: string}
  | IniEntryLine
  | {kind: 'invalid'; problem: string}

const BLANK = /^[ \t]*$/
const ARRAY_KEY = /^(.*?)[ \t]*\[([^\]]*)\]$/
const OPERATOR = /[&|^~()!]/
const BOOL_TRUE = new Set(['1', 'on', 'true', 'yes'])
const BOOL_FALSE = new Set(['', '0', 'off', 'false', 'no', 'none', 'null'])

export function parseIniLine(line: string): IniLine {
  if (BLANK.test(line)) return {kind: 'blank'}
  const start = line.length - line.trimStart().length
  const first = line[start]
  if (first === ';') return {kind: 'comment'}
  if (first === '#') return {kind: 'hash'}
  if (first === '[') return parseSection(line, start)
  return parseEntry(line, start)
}

function parseSection(line: string, start: number): IniLine {
  const close = line.indexOf(']', start)
  if (close < 0) return {kind: 'invalid', problem: "syntax error, unexpected end of file, expecting ']'"}
  const name = line.slice(start + 1, close).trim()
  const rest = line.slice(close + 1).trim()
  if (rest !== '' && !rest.startsWith(';'))
    return {kind: 'section', name, problem: 'syntax error after the section header'}
  return {kind: 'section', name}
}

function parseEntry(line: string, start: number): IniLine {
  const equalsAt = line.indexOf('=', start)
  const semicolonAt = line.indexOf(';', start)
  if (equalsAt < 0 || (semicolonAt >= 0 && semicolonAt < equalsAt)) {
    return {kind: 'invalid', problem: 'value is NULL for a ZEND_INI_PARSER_ENTRY'}
  }
  const keyText = line.slice(start, equalsAt).trimEnd()
  const keyEnd = start + keyText.length
  const arrayMatch = ARRAY_KEY.exec(keyText)
  const value = lexValue(line, equalsAt + 1)
  return {
    kind: 'entry',
    name: arrayMatch ? arrayMatch[1]! : keyText,
    ...(arrayMatch ? {arrayKey: arrayMatch[2]!.trim()} : {}),
    keyStart: start,
    keyEnd,
    equalsAt,
    ...value,
  }
}

type Part = {kind: 'raw' | 'double' | 'single' | 'env' | 'space'; text: string; start: number; end: number}

function lexValue(line: string, from: number) {
  const parts: Part[] = []
  const envRefs: string[] = []
  let problem: string | undefined
  let expression = false
  let commentAt: number | undefined
  let i = from
  while (i < line.length) {
    const c = line[i]!
    if (c === ';') {
      commentAt = i
      break
    }
    if (c === ' ' || c === '\t') {
      const end = scanWhile(line, i, (ch) => ch === ' ' || ch === '\t')
      parts.push({kind: 'space', text: line.slice(i, end), start: i, end})
      i = end
    } else if (c === '"') {
      const end = findClosingDoubleQuote(line, i + 1)
      if (end < 0) {
        // php-fpm appends a newline to each line, so the scanner runs out on line 2.
        problem ??=
          "syntax error, unexpected end of file, expecting TC_DOLLAR_CURLY or TC_QUOTED_STRING or '\"' in Unknown on line 2"
        parts.push({kind: 'double', text: unescapeDouble(line.slice(i + 1)), start: i, end: line.length})
        i = line.length
      } else {
        parts.push({kind: 'double', text: unescapeDouble(line.slice(i + 1, end)), start: i, end: end + 1})
        collectEnvRefs(line.slice(i + 1, end), envRefs)
        i = end + 1
      }
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1)
      if (end < 0) {
        problem ??= 'syntax error, unexpected end of file in Unknown on line 2'
        parts.push({kind: 'single', text: line.slice(i + 1), start: i, end: line.length})
        i = line.length
      } else {
        parts.push({kind: 'single', text: line.slice(i + 1, end), start: i, end: end + 1})
        i = end + 1
      }
    } else if (line.startsWith('${', i)) {
      const close = line.indexOf('}', i)
      const end = close < 0 ? line.length : close + 1
      const text = line.slice(i, end)
      envRefs.push(text.slice(2, close < 0 ? undefined : -1))
      parts.push({kind: 'env', text, start: i, end})
      i = end
    } else {
      const end = scanWhile(line, i, (ch, at) => !' \t;"\''.includes(ch) && !line.startsWith('${', at))
      const text = line.slice(i, end)
      if (text.includes('=')) problem ??= "syntax error, unexpected '=' in Unknown on line 1"
      if (OPERATOR.test(text)) expression = true
      parts.push({kind: 'raw', text, start: i, end})
      i = end
    }
  }
  const solid = parts.filter((part) => part.kind !== 'space')
  const firstSolid = solid[0]
  const lastSolid = solid.at(-1)
  const valueStart = firstSolid?.start ?? commentAt ?? line.length
  const valueEnd = lastSolid?.end ?? valueStart
  return {
    value: joinParts(parts, firstSolid, lastSolid),
    rawValue: line.slice(valueStart, valueEnd),
    quoted: parts.some((part) => part.kind === 'double' || part.kind === 'single'),
    expression,
    envRefs,
    ...(problem === undefined ? {} : {problem}),
    valueStart,
    valueEnd,
    ...(commentAt === undefined ? {} : {commentAt}),
  }
}

/** Blanks between parts survive except next to a double-quoted string (`"a"  "b"` is `ab`). */
function joinParts(parts: Part[], first: Part | undefined, last: Part | undefined): string {
  if (!first || !last) return ''
  const inner = parts.slice(parts.indexOf(first), parts.indexOf(last) + 1)
  return inner
    .map((part, index) => {
      if (part.kind !== 'space') return part.text
      const touchesDouble = inner[index - 1]?.kind === 'double' || inner[index + 1]?.kind === 'double'
      return touchesDouble ? '' : part.text
    })
    .join('')
}

function scanWhile(line: string, from: number, accept: (ch: string, at: number) => boolean): number {
  let i = from
  while (i < line.length && accept(line[i]!, i)) i++
  return i
}

function findClosingDoubleQuote(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] === '\\') i++
    else if (line[i] === '"') return i
  }
  return -1
}

/** zend_ini_escape_string: only `\"`, `\\` and `\$` are escapes; other backslashes stay. */
function unescapeDouble(text: string): string {
  return text.replace(/\\(["\\$])/g, '$1')
}

function collectEnvRefs(text: string, into: string[]): void {
  for (const match of text.matchAll(/\$\{([^}]*)\}/g)) into.push(match[1]!)
}

/**
 * The string php-fpm's option parsers see for an unquoted bare word: the INI
 * scanner turns yes/on/true into "1" and no/off/false/none/null into "".
 */
export function iniScalar(entry: Pick<IniEntryLine, 'value' | 'quoted'>): string {
  if (entry.quoted) return entry.value
  const lower = entry.value.toLowerCase()
  if (lower === 'yes' || lower === 'on' || lower === 'true') return '1'
  if (lower === 'no' || lower === 'off' || lower === 'false' || lower === 'none' || lower === 'null') return ''
  return entry.value
}

/** Interpret a boolean as php-fpm does after INI decoding, or undefined when php-fpm would refuse it. */
export function parseIniBoolean(text: string): boolean | undefined {
  const lower = text.trim().toLowerCase()
  if (BOOL_TRUE.has(lower)) return true
  if (BOOL_FALSE.has(lower)) return false
  return undefined
}

const SAFE_BARE = /^[A-Za-z0-9_./:@%+,*$[\]?-]+$/

/**
 * The text to write after `key = ` so php-fpm reads back exactly `value`.
 * Plain tokens stay bare (booleans must: a quoted "yes" is not a boolean);
 * anything with blanks, `;`, `=`, quotes, `${`, `~` or expression operators is
 * double-quoted with `\`, `"` escaped.
 */
export function formatIniValue(value: string): string {
  if (value === '' || SAFE_BARE.test(value)) return value
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`
}

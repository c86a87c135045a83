import {expandHostRange} from './host-range.js'
import {LineProblem} from './line-problem.js'

export interface HostLine {
  /** Host names after range expansion. */
  names: string[]
  /** Port written as `name:port`, as text (validated when targets are resolved). */
  port: string | undefined
  vars: Record<string, string>
}

const SHLEX_WHITESPACE = new Set([' ', '\t', '\r', '\n'])

/**
 * A host line: `name[:port] [key=value ...]`. Split the way Ansible does (Python's
 * shlex in POSIX mode with comments), so quotes group words and an unquoted `#`
 * starts a comment even right after a value.
 */
export function parseHostLine(line: string): HostLine {
  const [first, ...assignments] = splitShellWords(line)
  if (first === undefined) throw new LineProblem('expected a host name')
  const {pattern, port} = splitInventoryHostPort(first)
  const vars: Record<string, string> = {}
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=')
    if (equals <= 0) {
      throw new LineProblem(
        `expected key=value after the host name, got '${assignment}'`,
        'Quote values that contain spaces: key="two words".',
      )
    }
    vars[assignment.slice(0, equals)] = unquotePythonString(assignment.slice(equals + 1))
  }
  return {names: expandHostRange(pattern), port, vars}
}

/** A `[group:vars]` line: everything after the first `=` is the value, as Ansible reads it. */
export function parseVarsLine(line: string): {key: string; value: string} {
  const equals = line.indexOf('=')
  const key = equals === -1 ? '' : line.slice(0, equals).trim()
  if (key === '') throw new LineProblem(`expected key=value in a :vars section, got '${line}'`)
  return {key, value: varsSectionValue(line.slice(equals + 1).trim())}
}

/** A `[group:children]` line: one group name, optionally followed by a comment. */
export function parseChildLine(line: string): string {
  const match = /^([^:\]\s]+)\s*(?:[#;].*)?$/.exec(line)
  if (!match) throw new LineProblem(`expected one group name in a :children section, got '${line}'`)
  return match[1] as string
}

/** POSIX-shell-like word splitting: '…' literal, "…" with \" and \\ escapes, \x outside quotes, # comments. */
export function splitShellWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let index = 0
  while (index < line.length) {
    const char = line[index] as string
    if (SHLEX_WHITESPACE.has(char)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      index += 1
    } else if (char === '#') {
      break
    } else if (char === "'") {
      const close = line.indexOf("'", index + 1)
      if (close === -1) throw new LineProblem(`no closing quotation (') in '${line}'`)
      word += line.slice(index + 1, close)
      inWord = true
      index = close + 1
    } else if (char === '"') {
      const {text, next} = readDoubleQuoted(line, index + 1)
      word += text
      inWord = true
      index = next
    } else if (char === '\\') {
      if (index + 1 >= line.length) throw new LineProblem(`nothing after the final backslash in '${line}'`)
      word += line[index + 1]
      inWord = true
      index += 2
    } else {
      word += char
      inWord = true
      index += 1
    }
  }
  if (inWord) words.push(word)
  return words
}

function readDoubleQuoted(line: string, start: number): {text: string; next: number} {
  let text = ''
  let index = start
  while (index < line.length) {
    const char = line[index] as string
    if (char === '"') return {text, next: index + 1}
    const following = line[index + 1]
    if (char === '\\' && (following === '"' || following === '\\')) {
      text += following
      index += 2
    } else {
      text += char
      index += 1
    }
  }
  throw new LineProblem(`no closing quotation (") in '${line}'`)
}

/**
 * Split `name:port` / `[ipv6]:port` like Ansible's parse_address. A bare IPv6 address
 * keeps its colons because only a colon-free name (ranges aside) may carry a port.
 */
export function splitInventoryHostPort(token: string): {pattern: string; port: string | undefined} {
  if (token === '---') {
    throw new LineProblem("'---' starts a YAML document", 'fpmfix reads Ansible INI inventories only.')
  }
  if (token.endsWith(':')) {
    throw new LineProblem(`host '${token}' ends in ':'`, 'Write a port as name:2222, or remove the colon.')
  }
  const bracketed = /^\[(.+)\]:([0-9]+)$/.exec(token)
  if (bracketed) return {pattern: bracketed[1] as string, port: bracketed[2]}
  const hostPort = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/.exec(token)
  if (hostPort) return {pattern: hostPort[1] as string, port: hostPort[2]}
  return {pattern: token, port: undefined}
}

/**
 * Ansible reads values with Python's ast.literal_eval; for text values that only
 * removes one level of Python quotes ('x' or "x"). Everything else is kept as written.
 */
export function unquotePythonString(value: string): string {
  const match = /^(['"])((?:\\.|(?!\1)[^\\])*)\1$/s.exec(value)
  if (!match) return value
  return (match[2] as string).replace(/\\(.)/gs, (escape: string, char: string) => PYTHON_ESCAPES[char] ?? escape)
}

const PYTHON_ESCAPES: Record<string, string> = {'\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0'}

/**
 * literal_eval accepts a trailing Python comment after a literal, so `port=8080 # x`
 * means 8080 while `user=deploy # x` (not a literal) keeps the comment text, as in Ansible.
 */
function varsSectionValue(raw: string): string {
  const literalWithComment = /^((['"])(?:\\.|(?!\2)[^\\])*\2|[-+]?[0-9]+(?:\.[0-9]+)?|True|False|None)\s*#.*$/s.exec(
    raw,
  )
  const value = literalWithComment ? (literalWithComment[1] as string) : raw
  return unquotePythonString(value)
}

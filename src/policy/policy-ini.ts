import {FpmfixError} from '../errors.js'
import {parseIniLine} from '../fpm/index.js'

/** One `key = value` line of a policy file. */
export interface PolicyEntry {
  /** As written; an array key keeps its brackets: `php_admin_value[memory_limit]`. */
  key: string
  /** Quotes removed. */
  value: string
  quoted: boolean
  line: number
}

export interface PolicySection {
  name: string
  line: number
  entries: PolicyEntry[]
}

export function policyError(source: string, line: number | undefined, message: string): FpmfixError {
  return new FpmfixError('POLICY_INVALID', `${source}${line === undefined ? '' : `:${line}`}: ${message}`, {
    hint: 'See plans/default.ini (limits) and plans/upgrade-php.ini (desired state) for every section and key.',
  })
}

/**
 * A policy file, line by line, with every entry's line number kept (the `ini` package drops them).
 * Lines are read the way php-fpm reads its own INI files (parseIniLine: `;` comments, quotes,
 * `name[key]` arrays); `#` starts a comment too, as the `ini` package always allowed. A section
 * written twice is one section; a key written twice in one is refused, not silently overridden.
 */
export function readPolicyIni(text: string, source: string): PolicySection[] {
  const sections = new Map<string, PolicySection>()
  const firstSeen = new Map<string, number>()
  let current: PolicySection | undefined
  text.split('\n').forEach((raw, index) => {
    const line = index + 1
    const parsed = parseIniLine(raw.replace(/\r$/, ''))
    if (parsed.kind === 'blank' || parsed.kind === 'comment' || parsed.kind === 'hash') return
    if (parsed.kind === 'invalid') throw policyError(source, line, `cannot read this line: ${parsed.problem}`)
    if (parsed.kind === 'section') {
      if (parsed.problem) throw policyError(source, line, `cannot read this section header: ${parsed.problem}`)
      current = sections.get(parsed.name) ?? {name: parsed.name, line, entries: []}
      sections.set(parsed.name, current)
      return
    }
    const key = parsed.arrayKey === undefined ? parsed.name : `${parsed.name}[${parsed.arrayKey}]`
    if (current === undefined)
      throw policyError(source, line, `${key} is outside a section; put it under a [section] header`)
    if (parsed.problem) throw policyError(source, line, `cannot read the value of ${key}: ${parsed.problem}`)
    // php-fpm compares option names case-insensitively; array keys (php_value[...]) exactly.
    const normalized =
      parsed.arrayKey === undefined ? key.toLowerCase() : `${parsed.name.toLowerCase()}[${parsed.arrayKey}]`
    const seen = `${current.name}\0${normalized}`
    const first = firstSeen.get(seen)
    if (first !== undefined) throw policyError(source, line, `[${current.name}] ${key} is already set on line ${first}`)
    firstSeen.set(seen, line)
    current.entries.push({key, value: parsed.value, quoted: parsed.quoted, line})
  })
  return [...sections.values()]
}

/** A pattern is a glob when it has one of `*?[` (how nginx's include and php-fpm's include= decide). */
export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern)
}

/**
 * The candidates that glob(3) would return for this pattern (nginx's include, php-fpm's
 * include=), in its order: byte-wise sorted, as in the C locale both run in. `*`, `?` and
 * `[...]` stay within one path component and, as without GLOB_PERIOD, never match a leading dot.
 */
export function globMatch(pattern: string, candidates: Iterable<string>): string[] {
  const parts = pattern.split('/').map(componentMatcher)
  const matches = new Set<string>()
  for (const candidate of candidates) {
    const names = candidate.split('/')
    if (names.length !== parts.length) continue
    if (parts.every((match, index) => match(names[index]!))) matches.add(candidate)
  }
  return [...matches].sort(compareBytes)
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function componentMatcher(component: string): (name: string) => boolean {
  if (!isGlob(component)) {
    const literal = component.replace(/\\(.)/g, '$1')
    return (name) => name === literal
  }
  const regex = safeRegex(`^${componentToRegex(component)}$`)
  if (!regex) return () => false
  const explicitDot = component.startsWith('.') || component.startsWith('\\.')
  return (name) => (explicitDot || !name.startsWith('.')) && regex.test(name)
}

/** A malformed class such as `[z-a]` matches nothing, as in glob(3). */
function safeRegex(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u')
  } catch {
    return undefined
  }
}

function componentToRegex(component: string): string {
  let out = ''
  for (let i = 0; i < component.length; i++) {
    const ch = component[i]!
    if (ch === '*') out += '.*'
    else if (ch === '?') out += '.'
    else if (ch === '\\' && i + 1 < component.length) out += escapeRegex(component[++i]!)
    else if (ch === '[') {
      const bracket = bracketToRegex(component, i)
      if (bracket) {
        out += bracket.regex
        i = bracket.end
      } else out += '\\['
    } else out += escapeRegex(ch)
  }
  return out
}

/** `[...]` starting at `open`: a regex class and the index of its `]`, or undefined if unclosed. */
function bracketToRegex(component: string, open: number): {regex: string; end: number} | undefined {
  let i = open + 1
  const negate = component[i] === '!' || component[i] === '^'
  if (negate) i++
  let body = ''
  let first = true
  while (i < component.length) {
    const ch = component[i]!
    if (ch === ']' && !first) return {regex: `[${negate ? '^' : ''}${body}]`, end: i}
    first = false
    if (component[i + 1] === '-' && component[i + 2] !== undefined && component[i + 2] !== ']') {
      body += `${escapeClass(ch)}-${escapeClass(component[i + 2]!)}`
      i += 3
      continue
    }
    body += escapeClass(ch)
    i++
  }
  return undefined
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch
}

function escapeClass(ch: string): string {
  return /[\\\]^[-]/.test(ch) ? `\\${ch}` : ch
}

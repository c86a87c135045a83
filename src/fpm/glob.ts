/**
 * glob(3) matching for `include=` patterns against a known list of paths:
 * `*`, `?` and `[...]` within one path segment, and, as glob(3) without
 * GLOB_PERIOD, no wildcard matches a leading dot (editor swap files such as
 * `.www.conf.swp` are not included). Matches come back sorted the way glob(3)
 * sorts them in the C locale (byte order).
 */
export function globMatch(pattern: string, paths: Iterable<string>): string[] {
  const segments = pattern.split('/').map((segment) => ({
    regex: segmentToRegExp(segment),
    explicitDot: segment.startsWith('.'),
  }))
  return [...paths]
    .filter((path) => {
      const parts = path.split('/')
      if (parts.length !== segments.length) return false
      return parts.every((part, index) => {
        const segment = segments[index]!
        if (part.startsWith('.') && !segment.explicitDot) return false
        return segment.regex.test(part)
      })
    })
    .sort(compareBytes)
}

function segmentToRegExp(segment: string): RegExp {
  let source = ''
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!
    if (c === '*') source += '.*'
    else if (c === '?') source += '.'
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2)
      if (close < 0) {
        source += '\\['
        continue
      }
      const body = segment.slice(i + 1, close)
      const negated = body.startsWith('!') || body.startsWith('^')
      const set = (negated ? body.slice(1) : body).replace(/[\\\]]/g, '\\$&')
      source += `[${negated ? '^' : ''}${set}]`
      i = close
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 's')
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

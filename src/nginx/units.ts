import {FpmfixError} from '../errors.js'

const SIZE_SCALE: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3}

/** nginx sizes (ngx_parse_size): digits with an optional k/K, m/M or g/G suffix → bytes. */
export function parseNginxSize(value: string): number {
  const match = /^(\d+)([kKmMgG]?)$/.exec(value)
  if (!match) {
    throw new FpmfixError(
      'GATHER_PARSE',
      `invalid nginx size "${value}": expected digits with an optional k, m or g suffix (e.g. 8k)`,
    )
  }
  return Number(match[1]) * SIZE_SCALE[match[2]!.toLowerCase()]!
}

/** Milliseconds per nginx time unit, most significant first (ngx_parse_time). */
const TIME_UNITS: ReadonlyArray<[string, number]> = [
  ['y', 365 * 86_400_000],
  ['M', 30 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
]

/**
 * nginx time intervals → milliseconds: `60s`, `1m`, `1h 30m`, `500ms`; a number
 * without a suffix is seconds. Units must go from most to least significant.
 */
export function parseNginxDuration(value: string): number {
  const fail = (): never => {
    throw new FpmfixError(
      'GATHER_PARSE',
      `invalid nginx time "${value}": expected e.g. 60s, 1m, 1h30m or 500ms (units ms s m h d w M y, largest first)`,
    )
  }
  const parts = [...value.matchAll(/(\d+)(ms|[yMwdhms])?\s*/gy)]
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value) fail()
  let total = 0
  let previousRank = -1
  parts.forEach((part, index) => {
    const unit = part[2] ?? (index === parts.length - 1 ? 's' : undefined)
    const rank = TIME_UNITS.findIndex(([name]) => name === unit)
    if (rank <= previousRank) fail()
    previousRank = rank
    total += Number(part[1]) * TIME_UNITS[rank]![1]
  })
  return total
}

/** Bytes → the shortest exact nginx size: 16384 → `16k`, 1048576 → `1m`, 1000 → `1000`. */
export function formatNginxSize(bytes: number): string {
  if (bytes > 0 && bytes % SIZE_SCALE.m! === 0) return `${bytes / SIZE_SCALE.m!}m`
  if (bytes > 0 && bytes % SIZE_SCALE.k! === 0) return `${bytes / SIZE_SCALE.k!}k`
  return String(bytes)
}

/** Milliseconds → an nginx time in seconds when exact (`300s`), else `ms`. */
export function formatNginxDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

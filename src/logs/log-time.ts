/**
 * nginx and php-fpm both stamp log lines in the host's local time without a zone.
 * Both are read as "naive" times (as if UTC) so lines from the two logs, and the
 * host's own clock read the same way, compare directly.
 */
const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
}

/** `2026/11/23 21:36:00` → naive epoch ms. */
export function parseNginxTime(text: string): number | undefined {
  const match = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text)
  if (!match) return undefined
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[]
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!)
}

/** `23-Nov-2026 21:36:00` → naive epoch ms. */
export function parseFpmTime(text: string): number | undefined {
  const match = /^(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(text)
  if (!match) return undefined
  const month = MONTHS[match[2]!]
  if (month === undefined) return undefined
  return Date.UTC(Number(match[3]), month, Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6]))
}

/** `2026-11-23 21:36:00` (what the gather script reads from the host's clock) → naive epoch ms. */
export function parseHostClock(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text.trim())
  if (!match) return undefined
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[]
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!)
}

export function formatNaive(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
}

import type {LatencySummary} from './types.js'

/**
 * The histogram bucket of a latency in microseconds: exact below 1 ms, else its first three
 * significant digits (a relative error under 1 %). The host-side program (runtime/http-load.php)
 * buckets the same way, so both engines report alike without shipping every sample.
 */
export function latencyBucket(us: number): number {
  const digits = String(Math.max(0, Math.floor(us)))
  return digits.length <= 3 ? Number(digits) : Number(digits.slice(0, 3)) * 10 ** (digits.length - 3)
}

export function addLatency(histogram: Map<number, number>, us: number): void {
  const bucket = latencyBucket(us)
  histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1)
}

/**
 * Nearest-rank percentiles (and the maximum) of a histogram, in milliseconds with microsecond
 * precision; null when it holds no sample.
 */
export function latencySummary(histogram: ReadonlyMap<number, number>): LatencySummary | null {
  const buckets = [...histogram.entries()].filter(([, count]) => count > 0).sort(([a], [b]) => a - b)
  const total = buckets.reduce((sum, [, count]) => sum + count, 0)
  if (total === 0) return null
  const at = (quantile: number): number => {
    const rank = Math.max(1, Math.ceil(quantile * total))
    let seen = 0
    for (const [bucket, count] of buckets) {
      seen += count
      if (seen >= rank) return bucket
    }
    return buckets[buckets.length - 1]![0]
  }
  const ms = (us: number): number => us / 1000
  return {p50: ms(at(0.5)), p95: ms(at(0.95)), p99: ms(at(0.99)), max: ms(buckets[buckets.length - 1]![0])}
}

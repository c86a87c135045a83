import {describe, expect, it} from 'vitest'

import {addLatency, latencyBucket, latencySummary} from '../../../src/verify/latency.js'

describe('latency buckets', () => {
  it.each([
    [0, 0],
    [-3, 0],
    [999.9, 999],
    [1000, 1000],
    [1234, 1230],
    [99_999, 99_900],
    [100_000, 100_000],
    [1_234_567, 1_230_000],
  ])('%d µs → %d', (us, bucket) => expect(latencyBucket(us)).toBe(bucket))

  it('never loses more than 1 % of a latency', () => {
    for (let us = 1; us < 5_000_000; us = Math.ceil(us * 1.37)) {
      const bucket = latencyBucket(us)
      expect(bucket).toBeLessThanOrEqual(us)
      expect((us - bucket) / us).toBeLessThan(0.01)
    }
  })
})

describe('latency percentiles', () => {
  it('are nearest-rank over every sample, in milliseconds', () => {
    const histogram = new Map<number, number>()
    for (let us = 1; us <= 1000; us += 1) addLatency(histogram, us)
    expect(latencySummary(histogram)).toEqual({p50: 0.5, p95: 0.95, p99: 0.99, max: 1})
  })

  it('let a few slow requests show in p99 but not in p50', () => {
    const histogram = new Map<number, number>([
      [800, 980],
      [250_000, 20],
    ])
    expect(latencySummary(histogram)).toEqual({p50: 0.8, p95: 0.8, p99: 250, max: 250})
  })

  it('are null when nothing was answered', () => {
    expect(latencySummary(new Map())).toBeNull()
    expect(latencySummary(new Map([[500, 0]]))).toBeNull()
  })
})

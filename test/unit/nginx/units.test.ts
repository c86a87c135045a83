import {describe, expect, it} from 'vitest'

import {FpmfixError} from '../../../src/errors.js'
import {formatNginxDuration, formatNginxSize, parseNginxDuration, parseNginxSize} from '../../../src/nginx/index.js'

describe('parseNginxSize', () => {
  it.each([
    ['4096', 4096],
    ['4k', 4096],
    ['8K', 8192],
    ['1m', 1_048_576],
    ['2M', 2_097_152],
    ['1g', 1_073_741_824],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseNginxSize(text)).toBe(bytes)
  })

  it.each(['', '4kb', '1.5m', '-4k', 'k', '4 k'])('rejects %j with a clear error', (text) => {
    expect(() => parseNginxSize(text)).toThrow(FpmfixError)
    expect(() => parseNginxSize(text)).toThrow(`invalid nginx size "${text}"`)
  })
})

describe('parseNginxDuration', () => {
  it.each([
    ['60s', 60_000],
    ['90', 90_000],
    ['1m', 60_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1m30', 90_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1M', 2_592_000_000],
    ['1y', 31_536_000_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseNginxDuration(text)).toBe(ms)
  })

  it.each(['', 's', '30m1h', '1s1s', '1.5s', '60sec', ' 60s'])('rejects %j', (text) => {
    expect(() => parseNginxDuration(text)).toThrow(`invalid nginx time "${text}"`)
  })
})

describe('formatting', () => {
  it('writes sizes and times nginx reads back to the same value', () => {
    for (const bytes of [512, 4096, 16_384, 1_048_576, 3_145_728])
      expect(parseNginxSize(formatNginxSize(bytes))).toBe(bytes)
    expect([4096, 16_384, 1_048_576].map(formatNginxSize)).toEqual(['4k', '16k', '1m'])
    for (const ms of [500, 60_000, 300_000]) expect(parseNginxDuration(formatNginxDuration(ms))).toBe(ms)
    expect(formatNginxDuration(300_000)).toBe('300s')
  })
})

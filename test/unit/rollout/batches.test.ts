import {describe, expect, it} from 'vitest'

import {batchSizes, parseSerial, splitBatches, stepSize} from '../../../src/rollout/batches.js'

const sizes = (serial: string, total: number): number[] => batchSizes(parseSerial(serial), total)

describe('--serial as Ansible reads serial', () => {
  it('reads a number, a percentage and a list, spaces allowed around the commas', () => {
    expect(parseSerial('3')).toEqual([{kind: 'count', hosts: 3}])
    expect(parseSerial('25%')).toEqual([{kind: 'percent', percent: 25}])
    expect(parseSerial('1, 25%,100%')).toEqual([
      {kind: 'count', hosts: 1},
      {kind: 'percent', percent: 25},
      {kind: 'percent', percent: 100},
    ])
  })

  it.each([
    ['0', 'a batch needs at least one host'],
    ['0%', 'a batch needs at least one host'],
    ['1,0', 'a batch needs at least one host'],
    ['150%', '150% is more than every host'],
    ['1.5', '"1.5" is not a whole number of hosts or a percentage'],
    ['-1', '"-1" is not a whole number'],
    ['', '"" is not a whole number'],
    ['1,,2', '"" is not a whole number'],
    ['ten', '"ten" is not a whole number'],
  ])('refuses %j with a usage error: %s', (serial, why) => {
    expect(() => parseSerial(serial)).toThrow(why)
    try {
      parseSerial(serial)
    } catch (error) {
      expect(error).toMatchObject({code: 'USAGE', exit: 64})
    }
  })

  it('takes a percentage of every host of the rollout, rounded down, at least one (pct_to_int)', () => {
    expect(stepSize({kind: 'percent', percent: 25}, 10)).toBe(2)
    expect(stepSize({kind: 'percent', percent: 30}, 10)).toBe(3)
    expect(stepSize({kind: 'percent', percent: 50}, 3)).toBe(1)
    expect(stepSize({kind: 'percent', percent: 10}, 5)).toBe(1)
    expect(stepSize({kind: 'percent', percent: 100}, 7)).toBe(7)
    // Ansible computes int(0.29 * 100) in floating point and gets 28; the share asked for is 29 hosts.
    expect(stepSize({kind: 'percent', percent: 29}, 100)).toBe(29)
  })

  it.each([
    ['1', 4, [1, 1, 1, 1]],
    ['2', 5, [2, 2, 1]],
    ['30%', 10, [3, 3, 3, 1]],
    ['10%', 5, [1, 1, 1, 1, 1]],
    ['100%', 6, [6]],
    ['50', 6, [6]],
    // Ansible's documented list: one host, then five, then ten at a time with the rest last.
    ['1,5,10', 20, [1, 5, 10, 4]],
    ['1,25%,100%', 10, [1, 2, 7]],
    ['10%,20%,100%', 30, [3, 6, 21]],
    ['1,2', 8, [1, 2, 2, 2, 1]],
  ] as const)('--serial %s over %i hosts → batches of %j', (serial, total, expected) => {
    expect(sizes(serial, total)).toEqual(expected)
  })

  it('gives every host exactly one batch, none empty, whatever the values', () => {
    for (const serial of ['1', '3', '7%', '33%', '1,25%,100%', '2,50%', '99%']) {
      for (let total = 1; total <= 60; total += 1) {
        const batches = sizes(serial, total)
        expect(
          batches.reduce((sum, size) => sum + size, 0),
          `${serial} of ${total}`,
        ).toBe(total)
        expect(Math.min(...batches), `${serial} of ${total}`).toBeGreaterThanOrEqual(1)
      }
    }
  })

  it('without --serial, or without hosts, there is one batch of all, or none', () => {
    expect(batchSizes([], 9)).toEqual([9])
    expect(sizes('1', 0)).toEqual([])
  })

  it('splits the hosts in their order', () => {
    expect(splitBatches(['a', 'b', 'c', 'd', 'e'], parseSerial('1,50%'))).toEqual([['a'], ['b', 'c'], ['d', 'e']])
    expect(splitBatches([], parseSerial('1'))).toEqual([])
  })
})

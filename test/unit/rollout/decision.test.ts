import {describe, expect, it} from 'vitest'

import type {ApplyStatus} from '../../../src/apply/types.js'
import {
  countsAsFailure,
  failedPercent,
  mustStop,
  parseFailPercentage,
  stopReason,
} from '../../../src/rollout/decision.js'
import {RolloutGate} from '../../../src/rollout/rollout.js'

describe('what a rollout counts as failed', () => {
  it.each<[ApplyStatus, boolean]>([
    ['applied', false],
    ['already-applied', false],
    ['unchanged', false],
    ['rolled-back', true],
    ['rollback-failed', true],
    ['refused-stale', true],
    ['locked', true],
    ['failed', true],
    ['undone', true],
  ])('%s → failure: %s', (status, failure) => {
    expect(countsAsFailure(status)).toBe(failure)
  })
})

describe('--max-fail-percentage', () => {
  it('reads a share from 0 to 100, with decimals or a % sign', () => {
    expect(parseFailPercentage('0')).toBe(0)
    expect(parseFailPercentage('25%')).toBe(25)
    expect(parseFailPercentage('12.5')).toBe(12.5)
    expect(parseFailPercentage('100')).toBe(100)
  })

  it.each(['101', '-1', '', 'half', '1e2', '5%%'])('refuses %j with a usage error', (text) => {
    expect(() => parseFailPercentage(text)).toThrow(expect.objectContaining({code: 'USAGE', exit: 64}))
  })
})

describe('the failed share of the hosts attempted so far', () => {
  it('is a percentage of the hosts attempted, 0 before any', () => {
    expect(failedPercent({attempted: 0, failed: 0})).toBe(0)
    expect(failedPercent({attempted: 4, failed: 1})).toBe(25)
    expect(failedPercent({attempted: 3, failed: 2})).toBeCloseTo(66.667, 3)
  })

  it('stops only when the share is strictly greater than the limit, as max_fail_percentage', () => {
    expect(mustStop({attempted: 4, failed: 1}, 25)).toBe(false)
    expect(mustStop({attempted: 4, failed: 2}, 25)).toBe(true)
    expect(mustStop({attempted: 2, failed: 1}, 50)).toBe(false)
    expect(mustStop({attempted: 3, failed: 1}, 33)).toBe(true)
    expect(mustStop({attempted: 3, failed: 1}, 34)).toBe(false)
    // 1 of 3 is 33.33…%: exactly the limit is not over it, whatever floating point makes of 100/3.
    expect(mustStop({attempted: 3, failed: 1}, 100 / 3)).toBe(false)
  })

  it('with a limit of 0 stops at the first failure, and never with no failure or no limit', () => {
    expect(mustStop({attempted: 10, failed: 1}, 0)).toBe(true)
    expect(mustStop({attempted: 10, failed: 0}, 0)).toBe(false)
    expect(mustStop({attempted: 1, failed: 1}, undefined)).toBe(false)
    expect(mustStop({attempted: 1, failed: 1}, 100)).toBe(false)
  })

  it('says why in words', () => {
    expect(stopReason({attempted: 2, failed: 1}, 0)).toBe('1 of 2 hosts attempted failed (50% > 0%)')
    expect(stopReason({attempted: 3, failed: 2}, 50)).toBe('2 of 3 hosts attempted failed (66.7% > 50%)')
    expect(stopReason({attempted: 1, failed: 1}, 12.5)).toBe('1 of 1 host attempted failed (100% > 12.5%)')
  })
})

describe('the rollout gate', () => {
  it('--serial 1 --max-fail-percentage 0 over four hosts: the second fails, the others are held back', () => {
    const gate = new RolloutGate(0)
    expect(gate.closed()).toBeUndefined()
    gate.started()
    gate.ended(1, 'applied')
    expect(gate.closed()).toBeUndefined()
    gate.started()
    gate.ended(2, 'refused-stale')
    expect(gate.closed()).toBe('rollout stopped in batch 2: 1 of 2 hosts attempted failed (50% > 0%)')
    expect(gate.stopped).toEqual({
      batch: 2,
      attempted: 2,
      failed: 1,
      reason: '1 of 2 hosts attempted failed (50% > 0%)',
    })
  })

  it('counts every host attempted since the start, not per batch as Ansible does', () => {
    // Batches of 2 with a limit of 30%: a clean first batch, then one failure is 1 of 4 (25%), not half a batch.
    const gate = new RolloutGate(30)
    gate.started()
    gate.started()
    gate.ended(1, 'applied')
    gate.ended(1, 'already-applied')
    gate.started()
    gate.started()
    gate.ended(2, 'locked')
    expect(gate.closed(), '1 of 4 attempted is within 30%').toBeUndefined()
    gate.ended(2, 'rolled-back')
    expect(gate.stopped).toEqual({
      batch: 2,
      attempted: 4,
      failed: 2,
      reason: '2 of 4 hosts attempted failed (50% > 30%)',
    })
  })

  it('never stops at 100%, even when a whole batch failed (unlike ansible#76915)', () => {
    const gate = new RolloutGate(100)
    for (let index = 0; index < 3; index += 1) {
      gate.started()
      gate.ended(index + 1, 'failed')
    }
    expect(gate.closed()).toBeUndefined()
  })

  it('counts a host as attempted from its start: a failure among hosts still running is a share of all of them', () => {
    const gate = new RolloutGate(40)
    for (let index = 0; index < 3; index += 1) gate.started()
    gate.ended(1, 'failed')
    expect(gate.closed(), '1 of 3 started').toBeUndefined()
    gate.ended(1, 'failed')
    expect(gate.closed()).toContain('2 of 3 hosts attempted failed (66.7% > 40%)')
  })

  it('keeps the decision once taken, while hosts already running end', () => {
    const gate = new RolloutGate(0)
    gate.started()
    gate.started()
    gate.ended(1, 'locked')
    gate.ended(1, 'applied')
    expect(gate.stopped).toMatchObject({attempted: 2, failed: 1})
    expect(gate.closed()).toContain('rollout stopped in batch 1')
  })

  it('without a limit never closes', () => {
    const gate = new RolloutGate(undefined)
    gate.started()
    gate.ended(1, 'failed')
    expect(gate.closed()).toBeUndefined()
    expect(gate.stopped).toBeUndefined()
  })
})

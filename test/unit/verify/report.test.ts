import {describe, expect, it} from 'vitest'

import {parseLoadOutput} from '../../../src/verify/load-output.js'
import {verifyExitCode as exitCodeOf} from '../../../src/exit-codes.js'
import {routeReport, verifyHostExit, verifySummary, type VerifyOutcome} from '../../../src/verify/report.js'
import {checkedOutcome, DIAL, ROUTE, sampleOf, unverifiedOutcome} from './support/outcomes.js'

const verifyExitCode = (outcomes: VerifyOutcome[]): number => exitCodeOf(outcomes.map(verifyHostExit))

const passedOrFailed = (name: string, statuses: Record<string, number>): VerifyOutcome =>
  checkedOutcome(name, sampleOf(statuses))

describe('one route’s figures', () => {
  it('counts answers by status, 5xx, 502/504, errors, and answered requests per second', () => {
    const report = routeReport(
      ROUTE,
      DIAL,
      sampleOf({200: 900, 404: 40, 502: 50, 504: 6, 500: 4}, {connect: 2, closed: 1, timeout: 3}),
    )
    expect(report).toMatchObject({
      connect: '127.0.0.1:80',
      requests: 1006,
      responses: 1000,
      statuses: {200: 900, 404: 40, 500: 4, 502: 50, 504: 6},
      serverErrors: 60,
      badGateway: 56,
      connectionErrors: 3,
      timeouts: 3,
      requestsPerSecond: 500,
      latencyMs: {p50: 2, p95: 2, p99: 2, max: 2},
      passed: false,
    })
  })

  it('passes only when every request got a non-5xx answer (4xx is an answer)', () => {
    expect(routeReport(ROUTE, DIAL, sampleOf({200: 10, 404: 3})).passed).toBe(true)
    expect(routeReport(ROUTE, DIAL, sampleOf({200: 10, 503: 1})).passed).toBe(false)
    expect(routeReport(ROUTE, DIAL, sampleOf({200: 10}, {timeout: 1})).passed).toBe(false)
    expect(routeReport(ROUTE, DIAL, sampleOf({200: 10}, {closed: 1})).passed).toBe(false)
    expect(routeReport(ROUTE, DIAL, sampleOf({})).passed).toBe(false)
  })

  it('brackets an IPv6 address it connected to', () => {
    expect(routeReport(ROUTE, {...DIAL, host: '::1'}, sampleOf({200: 1})).connect).toBe('[::1]:80')
  })
})

describe('summary and exit code', () => {
  it('is 0 only when every host passed', () => {
    expect(verifyExitCode([passedOrFailed('a', {200: 5}), passedOrFailed('b', {302: 5})])).toBe(0)
  })

  it('is 11 when any request failed, even with hosts that could not be verified', () => {
    const outcomes = [
      passedOrFailed('a', {200: 5}),
      passedOrFailed('b', {502: 1}),
      unverifiedOutcome('c', 'SSH_CONNECT_REFUSED'),
    ]
    expect(verifyExitCode(outcomes)).toBe(11)
    expect(verifySummary(outcomes)).toMatchObject({
      hosts: 3,
      passed: 1,
      failed: 1,
      errors: 1,
      requests: 6,
      badGateway: 1,
    })
    expect(verifySummary(outcomes).text).toBe(
      '3 hosts: 1 passed, 1 failed, 1 not verified; 6 requests: 1 5xx (1 502/504), 0 connection errors, 0 timeouts',
    )
  })

  it('is 8 when no host could be reached, 3 when some could not be verified', () => {
    expect(
      verifyExitCode([unverifiedOutcome('a', 'SSH_CONNECT_REFUSED'), unverifiedOutcome('b', 'SSH_CONNECT_REFUSED')]),
    ).toBe(8)
    expect(verifyExitCode([passedOrFailed('a', {200: 1}), unverifiedOutcome('b', 'VERIFY_NO_ROUTE')])).toBe(3)
    expect(
      verifyExitCode([unverifiedOutcome('a', 'SSH_CONNECT_REFUSED'), unverifiedOutcome('b', 'VERIFY_NO_ROUTE')]),
    ).toBe(3)
  })
})

describe('the load program’s records', () => {
  const OUTPUT = [
    'fpmfix-load 1',
    'progress 812',
    'status 200 1500',
    'status 502 20',
    'error connect 3',
    'error timeout 1',
    'first-error cannot connect to tcp://127.0.0.1:80: Connection refused',
    'latency 950 700',
    'latency 1230 820',
    'future-record 1 2 3',
    'end 1524 2000500',
    '',
  ].join('\n')

  it('become a sample: statuses, errors, first error, latency histogram, elapsed time', () => {
    const parsed = parseLoadOutput(OUTPUT, {host: 'web1'})
    expect(parsed).toEqual({
      requests: 1524,
      statuses: {200: 1500, 502: 20},
      errors: {connect: 3, closed: 0, timeout: 1, protocol: 0},
      firstError: 'cannot connect to tcp://127.0.0.1:80: Connection refused',
      latencyUs: new Map([
        [950, 700],
        [1230, 820],
      ]),
      elapsedMs: 2000.5,
    })
  })

  it('without the end record mean the program did not finish, with its stderr in the details', () => {
    const cut = OUTPUT.slice(0, OUTPUT.indexOf('end '))
    expect(() =>
      parseLoadOutput(cut, {host: 'web1', stderr: 'PHP Fatal error: Allowed memory size exhausted'}),
    ).toThrow(
      expect.objectContaining({
        code: 'VERIFY_LOAD_FAILED',
        host: 'web1',
        message: 'the load program on the host did not finish: PHP Fatal error: Allowed memory size exhausted',
        details: expect.objectContaining({stderr: 'PHP Fatal error: Allowed memory size exhausted'}),
      }),
    )
    expect(() => parseLoadOutput('', {host: 'web1'})).toThrow(expect.objectContaining({code: 'VERIFY_LOAD_FAILED'}))
  })

  it('say plainly when the host has no PHP CLI, and what to do', () => {
    const output = 'fpmfix-load-error no-php no PHP CLI on this host (looked for: php php8.2)\n'
    expect(() => parseLoadOutput(output, {host: 'web1'})).toThrow(
      expect.objectContaining({
        code: 'VERIFY_LOAD_FAILED',
        message: 'no PHP CLI on this host (looked for: php php8.2)',
        hint: expect.stringMatching(/--from-here/),
      }),
    )
  })
})

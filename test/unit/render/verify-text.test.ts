import {describe, expect, it} from 'vitest'

import {renderVerifyText, verifyJson} from '../../../src/render/verify-text.js'
import type {VerifyOutcome} from '../../../src/verify/report.js'
import {checkedOutcome, sampleOf, unverifiedOutcome} from '../verify/support/outcomes.js'

/** Answers of 0.85 ms but one of 12.3 ms, in one second. */
function checked(name: string, statuses: Record<string, number>, connectErrors = 0): VerifyOutcome {
  const answered = Object.values(statuses).reduce((sum, n) => sum + n, 0)
  return checkedOutcome(
    name,
    sampleOf(
      statuses,
      {connect: connectErrors},
      {
        ...(connectErrors > 0 ? {firstError: 'cannot connect to tcp://127.0.0.1:80: Connection refused'} : {}),
        latencyUs: new Map([
          [850, answered - 1],
          [12_300, 1],
        ]),
        elapsedMs: 1000,
      },
    ),
  )
}

const outcomes: VerifyOutcome[] = [
  checked('web1', {200: 990, 302: 10}),
  checked('web2', {200: 90, 502: 7, 504: 1}, 2),
  unverifiedOutcome('web3', 'SSH_CONNECT_REFUSED', 'Is sshd running?'),
]

describe('verify output', () => {
  it('is one aligned table row per host and route, the reasons below it, and the summary', () => {
    const lines = renderVerifyText(outcomes).split('\n')
    expect(lines[0]).toBe('Load per route: 1 s, 10 at a time, from each host itself.')
    expect(lines[1]).toMatch(
      /^HOST +STATUS +ROUTE +REQUESTS +ANSWERS +502\/504 +CONN-ERR +TIMEOUTS +P50 +P95 +P99 +REQ\/S$/,
    )
    expect(lines[2]).toMatch(
      /^web1 +passed +http:\/\/shop\.example\.com\/index\.php +1000 +200×990 302×10 +0 +0 +0 +0\.85ms +0\.85ms +0\.85ms +1000\.0$/,
    )
    expect(lines[3]).toMatch(
      /^web2 +failed +http:\/\/shop\.example\.com\/index\.php +100 +200×90 502×7 504×1 +8 +2 +0 +0\.85ms +0\.85ms +12\.3ms +98\.0$/,
    )
    expect(lines[4]).toMatch(/^web3 +error +-$/)
    // Every column starts at the same place on every row.
    expect(
      new Set(
        lines.slice(1, 4).map((line) => (line.indexOf('http') === -1 ? line.indexOf('ROUTE') : line.indexOf('http'))),
      ),
    ).toEqual(new Set([lines[1]!.indexOf('ROUTE')]))
    expect(lines.slice(5)).toEqual([
      '',
      'web2: http://shop.example.com/index.php: first error: cannot connect to tcp://127.0.0.1:80: Connection refused',
      'web3: [SSH_CONNECT_REFUSED] connection refused',
      'web3: hint: Is sshd running?',
      '',
      '3 hosts: 1 passed, 1 failed, 1 not verified; 1100 requests: 8 5xx (8 502/504), 2 connection errors, 0 timeouts',
      '',
    ])
  })

  it('as JSON: every host with its name, address and status, its routes or its error, and the summary', () => {
    const document = verifyJson(outcomes) as {hosts: Array<Record<string, unknown>>; summary: Record<string, unknown>}
    expect(document.hosts.map((host) => [host.name, host.address, host.status])).toEqual([
      ['web1', 'web1.example.com', 'passed'],
      ['web2', 'web2.example.com', 'failed'],
      ['web3', 'web3.example.com', 'error'],
    ])
    expect(document.hosts[1]).toMatchObject({
      from: 'host',
      routes: [{badGateway: 8, connectionErrors: 2, passed: false}],
    })
    expect(document.hosts[2]).toMatchObject({error: {code: 'SSH_CONNECT_REFUSED', hint: 'Is sshd running?'}})
    expect(document.summary).toMatchObject({hosts: 3, passed: 1, failed: 1, errors: 1})
  })
})

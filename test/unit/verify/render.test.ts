import {describe, expect, it} from 'vitest'

import {FpmfixError} from '../../../src/errors.js'
import type {HostTarget} from '../../../src/model/target.js'
import {renderVerifyText, verifyJson} from '../../../src/verify/render.js'
import {routeReport, type VerifyOutcome} from '../../../src/verify/report.js'
import type {LoadSample, RouteSpec} from '../../../src/verify/types.js'

const target = (name: string): HostTarget => ({name, connection: 'ssh', address: `10.0.0.${name.length}`, vars: {}})
const route: RouteSpec = {
  url: 'http://shop.example.com/index.php',
  hostDial: {host: '127.0.0.1', port: 80},
  path: '/index.php',
  hostHeader: 'shop.example.com',
  source: 'server-block',
}
const dial = {host: '127.0.0.1', port: 80, path: '/index.php', hostHeader: 'shop.example.com'}

function checked(
  name: string,
  statuses: Record<string, number>,
  errors: Partial<LoadSample['errors']> = {},
): VerifyOutcome {
  const all = {connect: 0, closed: 0, timeout: 0, protocol: 0, ...errors}
  const answered = Object.values(statuses).reduce((sum, n) => sum + n, 0)
  const sample: LoadSample = {
    requests: answered + Object.values(all).reduce((sum, n) => sum + n, 0),
    statuses,
    errors: all,
    ...(all.connect > 0 ? {firstError: 'cannot connect to tcp://127.0.0.1:80: Connection refused'} : {}),
    latencyUs: new Map([
      [850, answered - 1],
      [12_300, 1],
    ]),
    elapsedMs: 1000,
  }
  const report = routeReport(route, dial, sample)
  return {
    target: target(name),
    ok: true,
    value: {
      status: report.passed ? 'passed' : 'failed',
      from: 'host',
      load: {concurrency: 10, durationMs: 1000, timeoutMs: 30_000},
      routes: [report],
    },
    durationMs: 1,
  }
}

const outcomes: VerifyOutcome[] = [
  checked('web1', {200: 990, 302: 10}),
  checked('web2', {200: 90, 502: 7, 504: 1}, {connect: 2}),
  {
    target: target('web3'),
    ok: false,
    error: new FpmfixError('SSH_CONNECT_REFUSED', 'connection refused', {hint: 'Is sshd running?'}),
    durationMs: 1,
  },
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
      ['web1', '10.0.0.4', 'passed'],
      ['web2', '10.0.0.4', 'failed'],
      ['web3', '10.0.0.4', 'error'],
    ])
    expect(document.hosts[1]).toMatchObject({
      from: 'host',
      routes: [{badGateway: 8, connectionErrors: 2, passed: false}],
    })
    expect(document.hosts[2]).toMatchObject({error: {code: 'SSH_CONNECT_REFUSED', hint: 'Is sshd running?'}})
    expect(document.summary).toMatchObject({hosts: 3, passed: 1, failed: 1, errors: 1})
  })
})

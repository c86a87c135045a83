import {FpmfixError, type ErrorCode} from '../../../../src/errors.js'
import type {HostTarget} from '../../../../src/model/target.js'
import {routeReport, type VerifyOutcome} from '../../../../src/verify/report.js'
import type {LoadSample, RouteSpec} from '../../../../src/verify/types.js'

export const ROUTE: RouteSpec = {
  url: 'http://shop.example.com/index.php',
  hostDial: {host: '127.0.0.1', port: 80},
  path: '/index.php',
  hostHeader: 'shop.example.com',
  source: 'server-block',
  fastcgiPass: '/etc/nginx/sites-enabled/shop:20',
}

export const DIAL = {host: '127.0.0.1', port: 80, path: '/index.php', hostHeader: 'shop.example.com'}

export const target = (name: string): HostTarget => ({
  name,
  connection: 'ssh',
  address: `${name}.example.com`,
  vars: {},
})

/** A load run's sample with these answers and errors; every answer 2 ms unless `more` says otherwise. */
export function sampleOf(
  statuses: Record<string, number>,
  errors: Partial<LoadSample['errors']> = {},
  more: Partial<LoadSample> = {},
): LoadSample {
  const all = {connect: 0, closed: 0, timeout: 0, protocol: 0, ...errors}
  const answered = Object.values(statuses).reduce((sum, n) => sum + n, 0)
  return {
    requests: answered + Object.values(all).reduce((sum, n) => sum + n, 0),
    statuses,
    errors: all,
    latencyUs: new Map([[2000, answered]]),
    elapsedMs: 2000,
    ...more,
  }
}

/** A verified host with one route (ROUTE) loaded for the sample's elapsed time, 10 at a time. */
export function checkedOutcome(name: string, sample: LoadSample): VerifyOutcome {
  const report = routeReport(ROUTE, DIAL, sample)
  return {
    target: target(name),
    ok: true,
    value: {
      status: report.passed ? 'passed' : 'failed',
      from: 'host',
      load: {concurrency: 10, durationMs: sample.elapsedMs, timeoutMs: 30_000},
      routes: [report],
    },
    durationMs: 1,
  }
}

export function unverifiedOutcome(name: string, code: ErrorCode, hint?: string): VerifyOutcome {
  return {target: target(name), ok: false, error: new FpmfixError(code, 'connection refused', {hint}), durationMs: 1}
}

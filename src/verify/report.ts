import type {HostExit} from '../exit-codes.js'
import {hostPort} from '../model/address.js'
import type {HostOutcome} from '../run/host-runner.js'
import {latencySummary} from './latency.js'
import type {HttpTarget} from './load-here.js'
import type {LoadSample, RouteReport, RouteSpec, VerifyReport} from './types.js'

/** One route's figures from what its load run measured. Passed only when every request got a non-5xx answer. */
export function routeReport(route: RouteSpec, dial: HttpTarget, sample: LoadSample): RouteReport {
  const count = (test: (status: number) => boolean): number =>
    Object.entries(sample.statuses)
      .filter(([status]) => test(Number(status)))
      .reduce((sum, [, n]) => sum + n, 0)
  const responses = count(() => true)
  const serverErrors = count((status) => status >= 500)
  const timeouts = sample.errors.timeout
  const connectionErrors = sample.errors.connect + sample.errors.closed + sample.errors.protocol
  const seconds = sample.elapsedMs / 1000
  return {
    url: route.url,
    hostHeader: route.hostHeader,
    connect: hostPort(dial.host, dial.port),
    source: route.source,
    ...(route.fastcgiPass === undefined ? {} : {fastcgiPass: route.fastcgiPass}),
    requests: sample.requests,
    responses,
    statuses: Object.fromEntries(Object.entries(sample.statuses).sort(([a], [b]) => Number(a) - Number(b))),
    serverErrors,
    badGateway: count((status) => status === 502 || status === 504),
    connectionErrors,
    timeouts,
    ...(sample.firstError === undefined ? {} : {firstError: sample.firstError}),
    latencyMs: latencySummary(sample.latencyUs),
    requestsPerSecond: seconds > 0 ? Math.round((responses / seconds) * 10) / 10 : 0,
    durationMs: Math.round(sample.elapsedMs),
    passed: sample.requests > 0 && serverErrors === 0 && timeouts === 0 && connectionErrors === 0,
  }
}

export function hostStatus(routes: readonly RouteReport[]): VerifyReport['status'] {
  return routes.every((route) => route.passed) ? 'passed' : 'failed'
}

export type VerifyOutcome = HostOutcome<VerifyReport>

/** `passed`, `failed` (a request got a 5xx or no answer) or `error` (the host could not be verified). */
export function outcomeStatus(outcome: VerifyOutcome): VerifyReport['status'] | 'error' {
  return outcome.ok ? outcome.value.status : 'error'
}

export interface VerifySummary {
  hosts: number
  passed: number
  failed: number
  errors: number
  requests: number
  serverErrors: number
  badGateway: number
  connectionErrors: number
  timeouts: number
  text: string
}

export function verifySummary(outcomes: readonly VerifyOutcome[]): VerifySummary {
  const routes = outcomes.flatMap((outcome) => (outcome.ok ? outcome.value.routes : []))
  const total = (field: 'requests' | 'serverErrors' | 'badGateway' | 'connectionErrors' | 'timeouts'): number =>
    routes.reduce((sum, route) => sum + route[field], 0)
  const by = (status: string): number => outcomes.filter((outcome) => outcomeStatus(outcome) === status).length
  const summary = {
    hosts: outcomes.length,
    passed: by('passed'),
    failed: by('failed'),
    errors: by('error'),
    requests: total('requests'),
    serverErrors: total('serverErrors'),
    badGateway: total('badGateway'),
    connectionErrors: total('connectionErrors'),
    timeouts: total('timeouts'),
  }
  const hosts = `${summary.hosts} ${summary.hosts === 1 ? 'host' : 'hosts'}: ${summary.passed} passed, ${summary.failed} failed, ${summary.errors} not verified`
  const requests =
    `${summary.requests} requests: ${summary.serverErrors} 5xx (${summary.badGateway} 502/504), ` +
    `${summary.connectionErrors} connection errors, ${summary.timeouts} timeouts`
  return {...summary, text: `${hosts}; ${requests}`}
}

/** What the exit code (src/exit-codes.ts verifyExitCode) needs of one host. */
export function verifyHostExit(outcome: VerifyOutcome): HostExit {
  return {status: outcomeStatus(outcome), errorCode: outcome.ok ? undefined : outcome.error.code}
}

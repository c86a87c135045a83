import {buildFacts} from '../facts/build-facts.js'
import {gather} from '../gather/index.js'
import type {HostTarget} from '../model/target.js'
import type {Transport} from '../transport/transport.js'
import {runLoadHere} from './load-here.js'
import {runLoadOnHost} from './load-on-host.js'
import {hostStatus, routeReport} from './report.js'
import {deriveRoutes, dialFor, phpCliCandidates, type RouteRequest} from './routes.js'
import type {LoadOrigin, LoadSpec, RouteSpec, VerifyReport} from './types.js'

export interface VerifyOptions {
  load: LoadSpec
  /** `host`: generated on the host (over SSH, by its PHP CLI); `here`: from this process. */
  from: LoadOrigin
  /** Says which route is under load, for progress output. */
  step?: (text: string) => void
}

/** The routes to verify on a host and the PHP CLIs that may generate its load, from one read-only gather. */
export async function routesOnHost(
  transport: Transport,
  target: HostTarget,
  requests: readonly RouteRequest[],
): Promise<{routes: RouteSpec[]; phpCandidates: string[]}> {
  const {facts} = buildFacts(await gather(transport, {host: target.name}))
  return {
    routes: deriveRoutes(facts.nginx?.sites ?? [], requests, target.name),
    phpCandidates: phpCliCandidates(facts.installs.map((install) => install.id)),
  }
}

export function describeLoad(load: LoadSpec): string {
  const limits = [
    ...(load.requests === undefined ? [] : [`${load.requests} requests`]),
    ...(load.durationMs === undefined ? [] : [`${load.durationMs / 1000} s`]),
  ]
  return `${limits.join(' or ')}, ${load.concurrency} at a time`
}

/**
 * Put each route under the load, one route after the other, and report every request's fate.
 * Over SSH "from the host" runs the load program on the host; on this machine, and with
 * `from: 'here'`, this process sends the requests.
 */
export async function loadRoutes(
  transport: Transport,
  target: HostTarget,
  routes: readonly RouteSpec[],
  phpCandidates: readonly string[],
  options: VerifyOptions,
): Promise<VerifyReport> {
  const reports = []
  for (const [index, route] of routes.entries()) {
    options.step?.(`${route.url} (${index + 1}/${routes.length}): ${describeLoad(options.load)}`)
    const dial = dialFor(route, options.from, target)
    const sample =
      options.from === 'host' && transport.kind === 'ssh'
        ? await runLoadOnHost(transport, dial, options.load, {host: target.name, phpCandidates})
        : await runLoadHere(dial, options.load)
    reports.push(routeReport(route, dial, sample))
  }
  return {status: hostStatus(reports), from: options.from, load: options.load, routes: reports}
}

/** Gather the host read-only, find its PHP routes (or the --url ones) and load each. */
export async function verifyHost(
  transport: Transport,
  target: HostTarget,
  requests: readonly RouteRequest[],
  options: VerifyOptions,
): Promise<VerifyReport> {
  options.step?.('gathering')
  const {routes, phpCandidates} = await routesOnHost(transport, target, requests)
  return loadRoutes(transport, target, routes, phpCandidates, options)
}

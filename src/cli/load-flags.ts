import {Flags} from '@oclif/core'

import {parseRouteRequest, type RouteRequest} from '../verify/routes.js'
import type {LoadOrigin, LoadSpec} from '../verify/types.js'

const DEFAULT_DURATION_S = 10
const DEFAULT_CONCURRENCY = 10
const DEFAULT_TIMEOUT_S = 30

/**
 * The retest's flags, shared by `verify` and `apply --verify` (where each needs --verify):
 * routes, how much load, how long a request may take, and where the load comes from. No flag has
 * an oclif default, so that a flag that needs --verify is refused only when it was given.
 */
export function loadFlags(options: {routesDefault: string; helpGroup: string; dependsOn?: string[]}) {
  const common = {
    helpGroup: options.helpGroup,
    ...(options.dependsOn === undefined ? {} : {dependsOn: options.dependsOn}),
  }
  // A flag with a short form first: oclif trims the indent of a section's first row.
  return {
    requests: Flags.integer({
      char: 'n',
      description: 'Requests per route (with --duration, whichever ends first).',
      min: 1,
      max: 100_000_000,
      ...common,
    }),
    duration: Flags.integer({
      char: 'd',
      description: `Seconds per route (default ${DEFAULT_DURATION_S} unless --requests is given).`,
      min: 1,
      max: 3600,
      ...common,
    }),
    concurrency: Flags.integer({
      char: 'c',
      description: `Connections sending requests at the same time, per route [default: ${DEFAULT_CONCURRENCY}].`,
      min: 1,
      max: 512,
      ...common,
    }),
    url: Flags.string({
      description:
        'Route to load, repeatable: /PATH (on the first PHP server block) or http://NAME[:PORT]/PATH (NAME is the ' +
        `Host header; the host itself is dialled). Default: ${options.routesDefault}.`,
      multiple: true,
      ...common,
    }),
    timeout: Flags.integer({
      description: `Seconds a request may take before it counts as a timeout [default: ${DEFAULT_TIMEOUT_S}].`,
      min: 1,
      max: 3600,
      ...common,
    }),
    'from-here': Flags.boolean({
      description: 'Send the requests from this machine instead of from each host.',
      ...common,
    }),
  }
}

export interface LoadFlagValues {
  url?: string[] | undefined
  requests?: number | undefined
  duration?: number | undefined
  concurrency?: number | undefined
  timeout?: number | undefined
  'from-here'?: boolean | undefined
}

/** What the load flags ask for: the routes named with --url, the load per route, and where it comes from. */
export function loadFromFlags(flags: LoadFlagValues): {requests: RouteRequest[]; load: LoadSpec; from: LoadOrigin} {
  const duration = flags.duration ?? (flags.requests === undefined ? DEFAULT_DURATION_S : undefined)
  return {
    requests: (flags.url ?? []).map(parseRouteRequest),
    load: {
      concurrency: flags.concurrency ?? DEFAULT_CONCURRENCY,
      ...(flags.requests === undefined ? {} : {requests: flags.requests}),
      ...(duration === undefined ? {} : {durationMs: duration * 1000}),
      timeoutMs: (flags.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
    },
    from: flags['from-here'] ? 'here' : 'host',
  }
}

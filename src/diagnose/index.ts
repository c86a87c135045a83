import {pairSites} from '../facts/pairing.js'
import {SEVERITY_ORDER, type Finding} from '../model/finding.js'
import type {HostFacts} from '../model/facts.js'
import type {Policy} from '../model/policy.js'
import type {Rule} from './rule.js'
import {configInvalid} from './rules/config-invalid.js'
import {fpmCrashing} from './rules/fpm-crashing.js'
import {fpmDown} from './rules/fpm-down.js'
import {headerBuffer} from './rules/header-buffer.js'
import {nginxDown} from './rules/nginx-down.js'
import {poolExhausted} from './rules/pool-exhausted.js'
import {reloadCutsRequests} from './rules/reload-cuts-requests.js'
import {socketMismatch} from './rules/socket-mismatch.js'
import {socketPermission} from './rules/socket-permission.js'
import {timeoutMismatch} from './rules/timeout-mismatch.js'
import {unknownUpstreamError} from './rules/unknown-upstream-error.js'

export const RULES: Rule[] = [
  configInvalid,
  fpmDown,
  nginxDown,
  socketMismatch,
  socketPermission,
  poolExhausted,
  timeoutMismatch,
  headerBuffer,
  fpmCrashing,
  reloadCutsRequests,
  unknownUpstreamError,
]

export interface DiagnoseOptions {
  policy: Policy
}

/** Run every rule over one host's facts; findings come most severe first. */
export function diagnose(facts: HostFacts, options: DiagnoseOptions): Finding[] {
  const context = {facts, pairings: pairSites(facts), policy: options.policy}
  return RULES.flatMap((rule) => rule.diagnose(context)).sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity],
  )
}

import {addressMatches} from '../../facts/pairing.js'
import type {FpmInstallFacts} from '../../model/facts.js'
import type {Finding} from '../../model/finding.js'
import type {FpmLogEvent, NginxErrorEvent} from '../../model/log-events.js'
import {fpmService} from '../../remedy/service.js'
import {configEvidence, currentFpmEvents, droppedByUpstream, isCurrent, logEvidence} from '../evidence.js'
import type {Rule, RuleContext} from '../rule.js'
import {hostScope} from '../scope.js'

/**
 * On a reload (SIGUSR2) the php-fpm master asks its workers to finish, waits
 * process_control_timeout, then terminates them. At 0, php-fpm's default, every request in flight
 * is cut: nginx reads a reset or an early close in the second of the reload and answers 502. Deploys
 * that reload php-fpm (to clear opcache, to load a pool) then 502 each time.
 */
export const reloadCutsRequests: Rule = {
  id: 'reload-cuts-requests',
  diagnose(context: RuleContext): Finding[] {
    return context.facts.installs.flatMap((install) => {
      if (install.processControlTimeout.value !== 0) return []
      const reloads = currentFpmEvents(context, install, (event) => event.kind === 'reloading', {
        sinceGeneration: false,
      })
      const cut = reloads.length === 0 ? [] : droppedAtReloads(context, install, reloads)
      const cutting = reloads.filter((reload) => cut.some((event) => sameMoment(event, reload)))
      return cut.length === 0 ? [] : [finding(install, cutting, cut, context.policy.timeouts.reloadWaitSeconds)]
    })
  },
}

/** nginx's dropped requests to this install's pools in the second of one of its reloads. */
function droppedAtReloads(context: RuleContext, install: FpmInstallFacts, reloads: FpmLogEvent[]): NginxErrorEvent[] {
  const dropped = context.facts.nginxEvents.filter(
    (event) =>
      droppedByUpstream(event) &&
      event.upstream !== undefined &&
      event.action === 'reading response header from upstream' &&
      isCurrent(event, context, undefined) &&
      reloads.some((reload) => sameMoment(event, reload)),
  )
  const addresses = install.pools.flatMap((pool) => (pool.listen.value === undefined ? [] : [pool.listen.value]))
  return dropped.filter((event) => addresses.some((address) => addressMatches(event.upstream!, address)))
}

/** A drop logged in the reload's second or the next (both logs write whole seconds), never before it. */
function sameMoment(event: NginxErrorEvent, reload: FpmLogEvent): boolean {
  const after = event.time! - reload.time!
  return after >= 0 && after <= 1000
}

/** The policy's wait, and no longer than every pool's request_terminate_timeout lets a request run. */
function wantedSeconds(install: FpmInstallFacts, policySeconds: number): number {
  const limits = install.pools.map((pool) => pool.requestTerminateTimeout.value)
  const bounded = limits.length > 0 && limits.every((seconds) => seconds > 0)
  return bounded ? Math.min(policySeconds, Math.max(...limits)) : policySeconds
}

function finding(
  install: FpmInstallFacts,
  reloads: FpmLogEvent[],
  cut: NginxErrorEvent[],
  policySeconds: number,
): Finding {
  const version = install.version === undefined ? '' : ` (php ${install.version})`
  const seconds = wantedSeconds(install, policySeconds)
  return {
    id: 'reload-cuts-requests',
    severity: 'warning',
    scope: hostScope(`${install.serviceName}${version}: every pool`),
    summary:
      `${install.serviceName}'s reloads end busy workers at once (process_control_timeout = 0): ` +
      `${cut.length} request(s) in flight at ${reloads.length} of its reloads answered 502, ` +
      'and every reload (a deploy, a config change) will do it again',
    evidence: [
      configEvidence('[global] process_control_timeout', install.processControlTimeout, '0'),
      ...logEvidence(reloads),
      ...logEvidence(cut),
    ],
    remedies: [
      {
        kind: 'fpm-set',
        install: install.id,
        pool: 'global',
        key: 'process_control_timeout',
        value: `${seconds}s`,
        reason: `a reload lets requests in flight finish (up to ${seconds} s; new requests wait in the listen queue meanwhile)`,
      },
      fpmService(
        install.id,
        'reload',
        'php-fpm reads process_control_timeout when it re-executes: the reloads after this one wait for busy workers',
      ),
    ],
  }
}

import {allPools, sitesForPool, type PoolRef} from '../../facts/pairing.js'
import type {FpmLogEvent} from '../../logs/fpm-log.js'
import type {NginxErrorEvent} from '../../logs/nginx-error-log.js'
import type {Evidence, Finding, Remedy} from '../../model/finding.js'
import {configEvidence, currentFpmEvents, currentNginxEvents, eventsForAddress, logEvidence} from '../evidence.js'
import type {Rule, RuleContext} from '../rule.js'
import {poolScope} from '../scope.js'

const CORRELATION_MS = 3000

/**
 * php-fpm's request_terminate_timeout kills a worker nginx is still waiting for: php-fpm
 * logs "execution timed out … terminating", nginx sees the connection reset (502).
 * Or nginx gives up first (504) while php-fpm keeps the worker busy.
 */
export const timeoutMismatch: Rule = {
  id: 'timeout-mismatch',
  diagnose(context: RuleContext): Finding[] {
    return allPools(context.facts).flatMap((ref) => timeoutFindings(context, ref))
  },
}

function timeoutFindings(context: RuleContext, ref: PoolRef): Finding[] {
  const {pool, install} = ref
  const address = pool.listen.value
  const sites = sitesForPool(context.pairings, ref).map((pairing) => pairing.site)
  if (address === undefined || sites.length === 0) return []
  const readTimeout = Math.max(...sites.map((site) => site.readTimeout.value))
  const readSite = sites.find((site) => site.readTimeout.value === readTimeout)!
  const terminate = pool.requestTerminateTimeout.value
  const killed = currentFpmEvents(
    context,
    install,
    (event) => event.kind === 'execution-timed-out' && event.pool === pool.name,
  )
  const dropped = eventsForAddress(
    currentNginxEvents(
      context,
      (event) => event.kind === 'reset-by-peer' || event.kind === 'prematurely-closed',
      install.generation,
    ),
    address,
  )
  const correlated = dropped.filter((event) => killed.some((kill) => near(kill, event)))
  const findings: Finding[] = []
  const base = (): Evidence[] => [
    configEvidence(
      `[${pool.name}] request_terminate_timeout`,
      pool.requestTerminateTimeout,
      terminate === 0 ? '0 (off)' : `${terminate}s`,
    ),
    configEvidence('fastcgi_read_timeout', readSite.readTimeout, `${readTimeout}s`),
    ...(pool.maxExecutionTime
      ? [configEvidence('max_execution_time', pool.maxExecutionTime, `${pool.maxExecutionTime.value}s`)]
      : []),
  ]

  if (terminate > 0 && terminate < readTimeout && killed.length > 0) {
    const remedies: Remedy[] = [
      {
        kind: 'fpm-set',
        install: install.id,
        pool: pool.name,
        key: 'request_terminate_timeout',
        value: `${readTimeout}s`,
        reason: `let requests run as long as nginx waits (fastcgi_read_timeout ${readTimeout}s)`,
      },
      ...executionTimeRemedy(ref, readTimeout),
      {
        kind: 'service',
        target: {kind: 'php-fpm', install: install.id},
        action: 'reload',
        reason: 'apply the new request timeout',
      },
    ]
    findings.push({
      id: 'timeout-mismatch',
      severity: 'critical',
      scope: poolScope(ref, sites),
      summary:
        `php-fpm kills requests after ${terminate}s (request_terminate_timeout) while nginx waits ${readTimeout}s: ` +
        `${killed.length} request(s) terminated${correlated.length > 0 ? `, ${correlated.length} matching 502(s) in nginx's log` : ''}`,
      evidence: [...base(), ...logEvidence(killed), ...logEvidence(correlated.length > 0 ? correlated : dropped)],
      remedies,
    })
  }

  const gaveUp = eventsForAddress(
    currentNginxEvents(
      context,
      (event) => event.kind === 'timed-out' && event.action === 'reading response header from upstream',
      install.generation,
    ),
    address,
  )
  if (gaveUp.length > 0) {
    const remedies: Remedy[] = []
    if (terminate === 0 || terminate > readTimeout) {
      // nginx has already answered 504; a worker left running holds a slot the next request needs.
      remedies.push(
        {
          kind: 'fpm-set',
          install: install.id,
          pool: pool.name,
          key: 'request_terminate_timeout',
          value: `${readTimeout}s`,
          reason: `stop work nginx no longer waits for (fastcgi_read_timeout ${readTimeout}s)`,
        },
        ...executionTimeRemedy(ref, readTimeout),
        {
          kind: 'service',
          target: {kind: 'php-fpm', install: install.id},
          action: 'reload',
          reason: 'apply the new request timeout',
        },
      )
    }
    findings.push({
      id: 'timeout-mismatch',
      severity: 'warning',
      scope: poolScope(ref, sites),
      summary:
        `nginx gave up after fastcgi_read_timeout ${readTimeout}s on ${gaveUp.length} request(s) (504); ` +
        'requests take longer than nginx waits — make them faster or raise fastcgi_read_timeout deliberately',
      evidence: [...base(), ...logEvidence(gaveUp)],
      remedies,
    })
  }
  return findings
}

function near(kill: FpmLogEvent, event: NginxErrorEvent): boolean {
  return kill.time !== undefined && event.time !== undefined && Math.abs(kill.time - event.time) <= CORRELATION_MS
}

/** Keep PHP's own limit below php-fpm's, so PHP can fail a request cleanly before its worker is killed. */
function executionTimeRemedy(ref: PoolRef, terminate: number): Remedy[] {
  const limit = ref.pool.maxExecutionTime?.value
  if (limit === undefined || (limit > 0 && limit < terminate)) return []
  const value = Math.max(1, terminate - Math.max(1, Math.round(terminate * 0.1)))
  return [
    {
      kind: 'fpm-set',
      install: ref.install.id,
      pool: ref.pool.name,
      key: 'php_admin_value[max_execution_time]',
      value: String(value),
      reason: `max_execution_time must stay below request_terminate_timeout (${terminate}s)`,
    },
  ]
}

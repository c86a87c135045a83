import {allPools, sitesForPool, type PoolRef} from '../../facts/pairing.js'
import type {FpmLogEvent, NginxErrorEvent} from '../../model/log-events.js'
import type {Evidence, Finding, Remedy} from '../../model/finding.js'
import type {FastcgiSite} from '../../model/facts.js'
import {configEvidence, currentFpmEvents, droppedByUpstream, logEvidence, poolNginxEvents} from '../evidence.js'
import {fpmService, nginxService} from '../../remedy/service.js'
import {setOrInsert} from '../nginx-setting.js'
import {planReadTimeout, type PhpLimit} from '../read-timeout.js'
import type {Rule, RuleContext} from '../rule.js'
import {poolScope} from '../scope.js'

const CORRELATION_MS = 3000

/**
 * php-fpm's request_terminate_timeout kills a worker nginx is still waiting for: php-fpm
 * logs "execution timed out … terminating", nginx sees the connection reset (502).
 * Or nginx gives up first (504): requests take longer than fastcgi_read_timeout.
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
  const dropped = poolNginxEvents(context, ref, droppedByUpstream)
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
      fpmService(install.id, 'reload', 'apply the new request timeout'),
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

  const gaveUp = poolNginxEvents(
    context,
    ref,
    (event) => event.kind === 'timed-out' && event.action === 'reading response header from upstream',
  )
  if (gaveUp.length > 0) findings.push(readTimeoutFinding(context, ref, sites, gaveUp, base()))
  return findings
}

/** The pool's bound on how long a request runs: request_terminate_timeout, else PHP's max_execution_time. */
function phpLimit(ref: PoolRef): PhpLimit | undefined {
  const {requestTerminateTimeout: terminate, maxExecutionTime: execution} = ref.pool
  if (terminate.value > 0)
    return {name: 'request_terminate_timeout', seconds: terminate.value, source: terminate.source}
  if (execution !== undefined && execution.value > 0)
    return {name: 'max_execution_time', seconds: execution.value, source: execution.source}
  return undefined
}

/**
 * nginx answered 504: requests outlast fastcgi_read_timeout. nginx is made to wait as long as the
 * requests take (see planReadTimeout), in the scope that sets the timeout; PHP's own limits stay at
 * or below nginx's, never below what requests were seen to take. A pool that also ran out of
 * workers is left to pool-exhausted: there the wait is for a worker, not for PHP.
 */
function readTimeoutFinding(
  context: RuleContext,
  ref: PoolRef,
  sites: FastcgiSite[],
  gaveUp: NginxErrorEvent[],
  evidence: Evidence[],
): Finding {
  const {pool, install} = ref
  const servers = new Set(gaveUp.map((event) => event.server).filter((server) => server !== undefined && server !== ''))
  const named = sites.filter((site) => site.server.split(' ').some((name) => servers.has(name)))
  const slowSites = named.length > 0 ? named : sites
  const current = Math.max(...slowSites.map((site) => site.readTimeout.value))
  const logged = currentFpmEvents(
    context,
    install,
    (event) =>
      (event.kind === 'executing-too-slow' || event.kind === 'execution-timed-out') && event.pool === pool.name,
  )
  const seconds = logged.map((event) => event.seconds).filter((value): value is number => value !== undefined)
  const longest = seconds.length > 0 ? Math.max(...seconds) : undefined
  const exhausted = currentFpmEvents(
    context,
    install,
    (event) => event.kind === 'max-children-reached' && event.pool === pool.name,
  )
  const requests = [...new Set(gaveUp.map((event) => event.request).filter((request) => request !== undefined))]
  let summary =
    `nginx gave up after fastcgi_read_timeout ${current}s on ${gaveUp.length} request(s) (504)` +
    `${requests.length > 0 ? `: ${requests.slice(0, 3).join(', ')}${requests.length > 3 ? ', …' : ''}` : ''}` +
    `${longest !== undefined ? `; php-fpm logged requests of this pool running ${Math.round(longest * 10) / 10}s` : ''}`
  const remedies: Remedy[] = []
  const plan = planReadTimeout({
    current,
    limit: phpLimit(ref),
    longestLoggedSeconds: longest,
    maxSeconds: context.policy.timeouts.maxReadTimeoutSeconds,
  })
  if (exhausted.length > 0) {
    summary +=
      `; pool ${pool.name} also reached pm.max_children (${exhausted.length} time(s)): requests waited for a free worker ` +
      '(see pool-exhausted), so the timeout is left as it is'
  } else if (plan.seconds === undefined) {
    summary += `; ${plan.why}`
  } else {
    const wait = plan.seconds
    summary += `; fastcgi_read_timeout becomes ${wait}s: ${plan.why}`
    for (const site of slowSites.filter((candidate) => candidate.readTimeout.value < wait))
      remedies.push(
        setOrInsert(
          site,
          site.readTimeout,
          'fastcgi_read_timeout',
          [`${wait}s`],
          `wait as long as requests of pool ${pool.name} run`,
        ),
      )
    remedies.push(nginxService('reload', 'load the longer fastcgi_read_timeout'))
    const php = phpLimitRemedies(ref, wait, longest)
    remedies.push(...php)
    if (php.length > 0) remedies.push(fpmService(install.id, 'reload', 'apply the new request limits'))
  }
  return {
    id: 'timeout-mismatch',
    severity: 'warning',
    scope: poolScope(ref, slowSites),
    summary,
    evidence: [...evidence, ...logEvidence(gaveUp), ...logEvidence(logged)],
    remedies,
  }
}

/** PHP's limits at or below nginx's new wait, and never below the longest run php-fpm logged. */
function phpLimitRemedies(ref: PoolRef, wait: number, longest: number | undefined): Remedy[] {
  const {pool, install} = ref
  if (longest !== undefined && longest > wait) return []
  const terminate = pool.requestTerminateTimeout.value
  if (terminate > wait) {
    return [
      {
        kind: 'fpm-set',
        install: install.id,
        pool: pool.name,
        key: 'request_terminate_timeout',
        value: `${wait}s`,
        reason: `no longer than nginx waits (fastcgi_read_timeout ${wait}s)`,
      },
      ...executionTimeRemedy(ref, wait),
    ]
  }
  if (terminate > 0) return []
  const execution = pool.maxExecutionTime?.value
  if (execution === undefined || execution <= wait) return []
  return [
    {
      kind: 'fpm-set',
      install: install.id,
      pool: pool.name,
      key: 'php_admin_value[max_execution_time]',
      value: String(wait),
      reason: `no longer than nginx waits (fastcgi_read_timeout ${wait}s)`,
    },
  ]
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

import {addressMatches, formatAddress, sitesForPool, type PoolRef} from '../../facts/pairing.js'
import type {FpmLogEvent, NginxErrorEvent} from '../../model/log-events.js'
import type {Evidence, Finding, Remedy} from '../../model/finding.js'
import type {Rule, RuleContext} from '../rule.js'
import {
  currentFpmEvents,
  currentNginxEvents,
  droppedByUpstream,
  eventsForAddress,
  logEvidence,
  statEvidence,
} from '../evidence.js'
import {planPortMove} from '../port-move.js'
import {pmRepairRemedies} from '../../remedy/pm-repair.js'
import {fpmService} from '../../remedy/service.js'
import {poolScope} from '../scope.js'

/**
 * A pool nginx sends to is configured on this host but nothing listens at its address (php-fpm is
 * stopped, failed to start, or died leaving a stale socket), or another program holds its TCP port
 * while php-fpm is not running: php-fpm could not bind it.
 */
export const fpmDown: Rule = {
  id: 'fpm-down',
  diagnose(context: RuleContext): Finding[] {
    const findings: Finding[] = []
    const seen = new Set<PoolRef['pool']>()
    for (const pairing of context.pairings) {
      const ref = pairing.pool
      if (ref === undefined || seen.has(ref.pool)) continue
      const held = pairing.listening ? heldPort(context, ref) : undefined
      if (pairing.listening && held === undefined) continue
      seen.add(ref.pool)
      findings.push(downFinding(context, ref, held))
    }
    return findings
  },
}

interface HeldPort {
  /** The programs `ss` names there, or "another program". */
  holders: string
  bindFailures: FpmLogEvent[]
  failedRequests: NginxErrorEvent[]
}

/**
 * Who holds a stopped install's TCP pool address, when something shows it failing: php-fpm's own
 * "unable to bind … Address already in use", or nginx's requests there failing. Without either the
 * holder may serve on purpose (a container's php-fpm behind docker-proxy). The programs `ss` names
 * (none of them php-fpm), else "another program".
 */
function heldPort(context: RuleContext, ref: PoolRef): HeldPort | undefined {
  const address = ref.pool.listen.value
  if (address?.kind !== 'tcp' || ref.install.running) return undefined
  const programs = context.facts.listeningTcp
    .filter((listener) => addressMatches(address, {kind: 'tcp', ...listener}))
    .flatMap((listener) => listener.programs)
  if (programs.some((program) => program.startsWith('php-fpm'))) return undefined
  const bindFailures = currentFpmEvents(context, ref.install, (event) => event.kind === 'bind-failed', {
    sinceGeneration: false,
  })
  // What nginx reads from a port's holder depends on what that program speaks.
  const failedRequests = eventsForAddress(
    currentNginxEvents(context, (event) => event.kind === 'not-fastcgi' || droppedByUpstream(event)),
    address,
  )
  if (bindFailures.length === 0 && failedRequests.length === 0) return undefined
  const holders = programs.length > 0 ? [...new Set(programs)].join(', ') : 'another program'
  return {holders, bindFailures, failedRequests}
}

function downFinding(context: RuleContext, ref: PoolRef, held: HeldPort | undefined): Finding {
  const {install, pool} = ref
  const sites = sitesForPool(context.pairings, ref).map((other) => other.site)
  const address = pool.listen.value!
  const evidence: Evidence[] = []
  let why: string
  if (held !== undefined) {
    why = `${formatAddress(address)} is held by ${held.holders}, so php-fpm cannot bind it`
    evidence.push({kind: 'listener', text: `${formatAddress(address)} is held by ${held.holders}`})
    evidence.push(...logEvidence(held.bindFailures))
  } else if (address.kind === 'unix') {
    const stat = context.facts.paths.get(address.path)
    evidence.push(statEvidence(stat, address.path))
    why = stat?.exists
      ? `a stale socket with no listener is left at ${address.path}`
      : `its socket ${address.path} does not exist`
  } else {
    why = `nothing listens on ${formatAddress(address)}`
    evidence.push({kind: 'listener', text: `no TCP listener on port ${address.port}`})
  }
  evidence.push({
    kind: 'process',
    text: install.running
      ? `php-fpm master running (pid ${install.masterPids.join(', ')}) but pool ${pool.name} is not listening`
      : `no ${install.serviceName} master process runs in this host's mount namespace`,
  })
  if (!install.running && install.elsewhere.length > 0)
    evidence.push({
      kind: 'process',
      text: `${install.serviceName} master(s) ${install.elsewhere.join(', ')} run in another mount namespace (a container): not this host's`,
    })
  const remedies: Remedy[] = []
  if (!install.test.ok) {
    evidence.push(...install.test.errors.map((text): Evidence => ({kind: 'command', text, source: `${install.id} -t`})))
    remedies.push(...pmRepairRemedies(install, 'php-fpm refuses to start'))
  }
  const events =
    held === undefined
      ? eventsForAddress(
          currentNginxEvents(
            context,
            (event) => event.kind === 'connect-failed' && (event.errno === 2 || event.errno === 111),
          ),
          address,
        )
      : held.failedRequests
  evidence.push(...logEvidence(events))
  const canStart = install.test.ok || remedies.length > 0
  if (canStart && held !== undefined) {
    const move = planPortMove(context.facts, context.pairings, ref, held.holders)
    if ('refused' in move) why += `; the pool cannot be moved: ${move.refused}`
    else {
      why += `; moving the pool to ${formatAddress(move.to)}, and nginx with it`
      remedies.push(...move.remedies)
    }
  } else if (canStart) {
    remedies.push(
      fpmService(
        install.id,
        install.running ? 'restart' : 'start',
        `bring pool ${pool.name} back at ${formatAddress(address)}`,
      ),
    )
  }
  const refusal = install.test.ok ? '' : `; \`php-fpm -t\` fails: ${install.test.errors[0] ?? 'see evidence'}`
  return {
    id: 'fpm-down',
    severity: 'critical',
    scope: poolScope(ref, sites),
    summary: `php-fpm pool ${pool.name} is down: ${why}${refusal}`,
    evidence,
    remedies,
  }
}

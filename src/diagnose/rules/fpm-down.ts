import {formatAddress, sitesForPool, type PoolRef} from '../../facts/pairing.js'
import type {FastcgiSite} from '../../model/facts.js'
import type {Evidence, Finding, Remedy} from '../../model/finding.js'
import type {Rule, RuleContext} from '../rule.js'
import {currentNginxEvents, eventsForAddress, logEvidence, statEvidence} from '../evidence.js'
import {pmRepairRemedies} from '../../remedy/pm-repair.js'
import {fpmService} from '../../remedy/service.js'
import {poolScope} from '../scope.js'

/**
 * A pool nginx sends to is configured on this host but nothing listens at its address:
 * php-fpm is stopped, failed to start, or died leaving a stale socket.
 */
export const fpmDown: Rule = {
  id: 'fpm-down',
  diagnose(context: RuleContext): Finding[] {
    const findings: Finding[] = []
    const seen = new Set<PoolRef['pool']>()
    for (const pairing of context.pairings) {
      if (pairing.pool === undefined || pairing.listening || seen.has(pairing.pool.pool)) continue
      seen.add(pairing.pool.pool)
      const ref = pairing.pool
      findings.push(
        downFinding(
          context,
          ref,
          sitesForPool(context.pairings, ref).map((other) => other.site),
        ),
      )
    }
    return findings
  },
}

function downFinding(context: RuleContext, ref: PoolRef, sites: FastcgiSite[]): Finding {
  const {install, pool} = ref
  const address = pool.listen.value!
  const evidence: Evidence[] = []
  let why: string
  if (address.kind === 'unix') {
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
  const events = eventsForAddress(
    currentNginxEvents(
      context,
      (event) => event.kind === 'connect-failed' && (event.errno === 2 || event.errno === 111),
    ),
    address,
  )
  evidence.push(...logEvidence(events))
  const canStart = install.test.ok || remedies.length > 0
  if (canStart) {
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

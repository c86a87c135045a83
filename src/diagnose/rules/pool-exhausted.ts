import {allPools, formatAddress, unixKey, type PoolRef} from '../../facts/pairing.js'
import type {Evidence, Finding, Remedy} from '../../model/finding.js'
import {affordableChildren, growthCap, perWorkerKb as perWorker, pmNumbersOf} from '../../fpm/pm-sizing.js'
import {pmRemedies} from '../../remedy/pm-repair.js'
import {fpmService} from '../../remedy/service.js'
import {configEvidence, currentFpmEvents, logEvidence, poolNginxEvents} from '../evidence.js'
import type {Rule, RuleContext} from '../rule.js'
import {poolScope} from '../scope.js'

/**
 * Every child busy: php-fpm logs "server reached pm.max_children", and once the listen
 * queue is full nginx gets EAGAIN (11) on connect — a 502 php-fpm itself never logs.
 */
export const poolExhausted: Rule = {
  id: 'pool-exhausted',
  diagnose(context: RuleContext): Finding[] {
    const findings: Finding[] = []
    for (const ref of allPools(context.facts)) {
      const finding = exhaustion(context, ref)
      if (finding) findings.push(finding)
    }
    return findings
  },
}

function exhaustion(context: RuleContext, ref: PoolRef): Finding | undefined {
  const {facts} = context
  const {pool, install} = ref
  const address = pool.listen.value
  if (address === undefined) return undefined
  const reached = currentFpmEvents(
    context,
    install,
    (event) => event.kind === 'max-children-reached' && event.pool === pool.name,
  )
  const queueFull = poolNginxEvents(context, ref, (event) => event.kind === 'connect-failed' && event.errno === 11)
  const somaxconn = facts.somaxconn
  const backlogCapped = somaxconn !== undefined && pool.backlog.value > somaxconn
  if (reached.length === 0 && queueFull.length === 0) return undefined

  const evidence: Evidence[] = [...logEvidence(queueFull), ...logEvidence(reached)]
  evidence.push(
    configEvidence('pm', pool.pm, pool.pm.value),
    configEvidence('pm.max_children', pool.maxChildren, String(pool.maxChildren.value)),
  )
  evidence.push(configEvidence('listen.backlog', pool.backlog, String(pool.backlog.value)))
  if (somaxconn !== undefined)
    evidence.push({
      kind: 'config',
      text: `net.core.somaxconn = ${somaxconn}${backlogCapped ? ' (the kernel caps listen.backlog to it)' : ''}`,
      source: '/proc/sys/net/core/somaxconn',
    })
  // php-fpm logs nothing when its listen queue overflows; the kernel's queue depth is the direct reading.
  const queue =
    address.kind === 'tcp'
      ? facts.listeningTcp.find((entry) => entry.port === address.port)
      : facts.unixQueues.get(unixKey(address))
  if (queue)
    evidence.push({
      kind: 'listener',
      text: `listen queue now ${queue.recvQ} waiting of ${queue.sendQ} (ss Recv-Q/Send-Q) on ${formatAddress(address)}`,
    })

  const remedies: Remedy[] = []
  const notes: string[] = []
  const workers = pool.workers.map((worker) => worker.pssKb ?? worker.rssKb).filter((kb) => kb > 0)
  const {sizing} = context.policy
  const perWorkerKb = perWorker(pool.workers, sizing).kb
  evidence.push({
    kind: 'process',
    text:
      workers.length > 0
        ? `${workers.length} workers, ${Math.round(perWorkerKb / 1024)} MiB each on average ` +
          `(${pool.workers.some((worker) => worker.pssKb !== undefined) ? 'PSS' : 'RSS'})`
        : `no running workers to measure; assuming ${sizing.assumedWorkerMb} MiB per worker (policy)`,
  })
  if (facts.memory.availableKb !== undefined && facts.memory.totalKb !== undefined) {
    evidence.push({
      kind: 'stat',
      text: `MemAvailable ${Math.round(facts.memory.availableKb / 1024)} MiB of ${Math.round(facts.memory.totalKb / 1024)} MiB`,
      source: '/proc/meminfo',
    })
    const affordable = affordableChildren(
      {
        availableKb: facts.memory.availableKb,
        totalKb: facts.memory.totalKb,
        currentWorkersKb: workers.reduce((sum, kb) => sum + kb, 0),
        perWorkerKb,
      },
      sizing,
    )
    const target = Math.min(affordable, growthCap(pool.maxChildren.value, sizing))
    if (target > pool.maxChildren.value) {
      const reason = `memory allows ${target} children of ~${Math.round(perWorkerKb / 1024)} MiB with a reserve`
      remedies.push(...pmRemedies(install.id, pool.name, pmNumbersOf(pool), target, reason))
    } else {
      notes.push(
        `memory does not allow more than ${pool.maxChildren.value} children; the fix is faster requests or more RAM`,
      )
    }
  }
  if (queueFull.length > 0 && somaxconn !== undefined && pool.backlog.value < somaxconn) {
    remedies.push({
      kind: 'fpm-set',
      install: install.id,
      pool: pool.name,
      key: 'listen.backlog',
      value: String(somaxconn),
      reason: `let bursts queue instead of failing with EAGAIN (capped by somaxconn ${somaxconn})`,
    })
  }
  if (remedies.length > 0) {
    const needsRestart = remedies.some((remedy) => remedy.kind === 'fpm-set' && remedy.key === 'listen.backlog')
    remedies.push(
      needsRestart
        ? fpmService(install.id, 'restart', 'listen.backlog applies when the socket is re-created')
        : fpmService(install.id, 'reload', 'apply the new process-manager limits'),
    )
  }
  const what = queueFull.length > 0 ? `${queueFull.length} connections refused with EAGAIN (listen queue full)` : ''
  const why = reached.length > 0 ? `max_children (${pool.maxChildren.value}) reached ${reached.length} time(s)` : ''
  return {
    id: 'pool-exhausted',
    // Reaching max_children queues requests; only a full queue (EAGAIN) turns into 502s.
    severity: queueFull.length > 0 ? 'critical' : 'warning',
    scope: poolScope(ref),
    summary: `pool ${pool.name} is exhausted: ${[what, why].filter(Boolean).join('; ')}${notes.length ? `; ${notes.join('; ')}` : ''}`,
    evidence,
    remedies,
  }
}

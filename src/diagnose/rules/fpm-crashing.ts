import {allPools, sitesForPool} from '../../facts/pairing.js'
import type {Finding} from '../../model/finding.js'
import {currentFpmEvents, droppedByUpstream, logEvidence, poolNginxEvents} from '../evidence.js'
import type {Rule, RuleContext} from '../rule.js'
import {poolScope} from '../scope.js'

const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGILL', 'SIGFPE'])

/**
 * Workers dying on crash signals (or killed outright, e.g. by the OOM killer) take their
 * request with them: nginx logs a reset or premature close (502). No config change is
 * proposed: a segfaulting extension is not fixed by a setting.
 */
export const fpmCrashing: Rule = {
  id: 'fpm-crashing',
  diagnose(context: RuleContext): Finding[] {
    const findings: Finding[] = []
    for (const ref of allPools(context.facts)) {
      const {pool} = ref
      const timedOutPids = new Set(
        currentFpmEvents(context, ref.install, (event) => event.kind === 'execution-timed-out', {
          sinceGeneration: false,
        }).map((event) => event.pid),
      )
      const crashes = currentFpmEvents(
        context,
        ref.install,
        (event) =>
          event.kind === 'child-exited-signal' &&
          event.pool === pool.name &&
          (CRASH_SIGNALS.has(event.signalName ?? '') ||
            (event.signalName === 'SIGKILL' && !timedOutPids.has(event.pid))),
        {sinceGeneration: false},
      )
      if (crashes.length === 0) continue
      const emergency = currentFpmEvents(context, ref.install, (event) => event.kind === 'emergency-restart', {
        sinceGeneration: false,
      })
      const dropped = poolNginxEvents(context, ref, droppedByUpstream)
      const signals = [...new Set(crashes.map((event) => event.signalName))].join(', ')
      const killed = crashes.every((event) => event.signalName === 'SIGKILL')
      findings.push({
        id: 'fpm-crashing',
        severity: dropped.length > 0 || emergency.length > 0 ? 'critical' : 'warning',
        scope: poolScope(
          ref,
          sitesForPool(context.pairings, ref).map((pairing) => pairing.site),
        ),
        summary: [
          `${crashes.length} worker(s) of pool ${pool.name} died on ${signals}`,
          emergency.length > 0 ? `; ${emergency.length} emergency restart(s)` : '',
          dropped.length > 0 ? `; ${dropped.length} request(s) lost (502)` : '',
          '. ',
          killed
            ? 'SIGKILL without a timeout usually means the OOM killer: check dmesg and pm.max_children against memory.'
            : 'A crash signal points at PHP or an extension (check core dumps, recently changed extensions, opcache); ' +
              'no config change would fix it.',
        ].join(''),
        evidence: [...logEvidence(crashes), ...logEvidence(emergency), ...logEvidence(dropped)],
        remedies: [],
      })
    }
    return findings
  },
}

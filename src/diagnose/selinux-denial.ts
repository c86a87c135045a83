import {canConnectUnix, type AccountLookup} from '../facts/access.js'
import {addressKey, formatAddress, sitesForPool, type Pairing} from '../facts/pairing.js'
import type {Finding} from '../model/finding.js'
import type {UserFact} from '../model/facts.js'
import type {NginxErrorEvent} from '../model/log-events.js'
import {logEvidence, poolNginxEvents} from './evidence.js'
import type {RuleContext} from './rule.js'
import {pairingsScope, poolScope} from './scope.js'

/**
 * nginx gets EACCES (13) connecting to a live pool that file permissions let it reach, on a host
 * where SELinux enforces: the policy denies it. A TCP connect has no file permissions at all: a
 * port outside http_port_t needs httpd_can_network_connect or a port label. No config file of
 * nginx or php-fpm changes that, so no change is proposed: the finding says what to run.
 */
export function selinuxFindings(context: RuleContext, worker: UserFact | undefined, lookup: AccountLookup): Finding[] {
  if (context.facts.selinux !== 'enforcing') return []
  const findings: Finding[] = []
  const seen = new Set<string>()
  for (const pairing of context.pairings) {
    const key = addressKey(pairing.target)
    if (pairing.pool === undefined || !pairing.listening || seen.has(key)) continue
    const events = poolNginxEvents(context, pairing.pool, eaccesOnConnect)
    if (events.length === 0) continue
    const {target} = pairing
    if (
      target.kind === 'unix' &&
      (worker === undefined || !canConnectUnix(target.path, worker, context.facts.paths, lookup).ok)
    )
      continue
    seen.add(key)
    findings.push(denial(context, pairing, events))
  }
  return findings
}

function eaccesOnConnect(event: NginxErrorEvent): boolean {
  return event.kind === 'connect-failed' && event.errno === 13
}

function denial(context: RuleContext, pairing: Pairing, events: NginxErrorEvent[]): Finding {
  const {target} = pairing
  const ref = pairing.pool!
  const how =
    target.kind === 'tcp'
      ? `allow it with \`setsebool -P httpd_can_network_connect 1\`, or label the port: ` +
        `\`semanage port -a -t http_port_t -p tcp ${target.port}\``
      : `the socket (or its directory) needs a type nginx may connect to: ` +
        `\`semanage fcontext -a -t httpd_var_run_t '${target.path.replace(/\/[^/]*$/, '')}(/.*)?'\`, ` +
        `\`restorecon -Rv ${target.path.replace(/\/[^/]*$/, '')}\`, then restart php-fpm`
  const sites = sitesForPool(context.pairings, ref).map((other) => other.site)
  return {
    id: 'socket-permission',
    severity: 'critical',
    scope: sites.length > 0 ? poolScope(ref, sites) : pairingsScope([pairing]),
    summary:
      `SELinux denies nginx connecting to ${formatAddress(target)} (EACCES` +
      `${target.kind === 'unix' ? ', though file permissions allow it' : ''}); ${how}. ` +
      'Confirm with `ausearch -m avc -c nginx`; no nginx or php-fpm setting changes this',
    evidence: [{kind: 'status', text: 'SELinux is enforcing'}, ...logEvidence(events)],
    remedies: [],
  }
}

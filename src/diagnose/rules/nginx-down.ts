import type {Evidence, Finding} from '../../model/finding.js'
import type {NginxFacts} from '../../model/facts.js'
import {nginxService} from '../../remedy/service.js'
import type {Rule, RuleContext} from '../rule.js'
import {hostScope} from '../scope.js'

/** What the service manager, the pid file and the process table say about a stopped nginx. */
function stoppedEvidence(nginx: NginxFacts): Evidence[] {
  const evidence: Evidence[] = [{kind: 'process', text: 'no nginx master process runs in this host’s mount namespace'}]
  if (nginx.elsewhere.length > 0)
    evidence.push({
      kind: 'process',
      text: `nginx master(s) ${nginx.elsewhere.join(', ')} run in another mount namespace (a container): not this host's`,
    })
  const {service} = nginx
  if (service.state !== undefined || service.statusOutput !== undefined)
    evidence.push({
      kind: 'command',
      text: `${service.manager}: ${[service.state, service.statusOutput].filter(Boolean).join(' — ')}`,
      source: `service ${nginx.serviceName} status`,
    })
  for (const pidFile of service.pidFiles)
    evidence.push({
      kind: 'stat',
      text: !pidFile.exists
        ? `${pidFile.path}: does not exist`
        : pidFile.pid === undefined
          ? `${pidFile.path}: holds no pid`
          : `${pidFile.path}: pid ${pidFile.pid}${pidFile.alive === true ? '' : ', no such process'}`,
      source: pidFile.path,
    })
  return evidence
}

/**
 * nginx is installed but not running: nothing answers, PHP sites included. A config that tests fine
 * is started; one that fails `nginx -t` is config-invalid's. Only said when the gather could see
 * every process (a login without root under hidepid cannot tell).
 */
export const nginxDown: Rule = {
  id: 'nginx-down',
  diagnose(context: RuleContext): Finding[] {
    const nginx = context.facts.nginx
    if (nginx === undefined || nginx.running || !context.facts.processesVisible || !nginx.test.ok) return []
    const sites = new Set(nginx.sites.map((site) => `${site.file}:${site.line}`)).size
    const serves = sites > 0
    const canStart = serves && nginx.test.unknown === undefined
    const summary = [
      serves
        ? `nginx is not running: nothing answers, and the ${sites} location(s) passing to PHP are down`
        : 'nginx is installed but not running (no server of its config passes to PHP)',
      nginx.elsewhere.length > 0 ? '; the nginx processes seen belong to another mount namespace' : '',
      nginx.test.unknown !== undefined
        ? `; its config could not be tested by this login (${nginx.test.unknown})`
        : serves
          ? '; `nginx -t` passes, so it can be started'
          : '; start it if this host should serve',
    ].join('')
    return [
      {
        id: 'nginx-down',
        severity: serves ? 'critical' : 'warning',
        scope: hostScope(`nginx (${nginx.binary})`),
        summary,
        evidence: stoppedEvidence(nginx),
        remedies: canStart ? [nginxService('start', 'nginx is stopped; its config tests fine')] : [],
      },
    ]
  },
}

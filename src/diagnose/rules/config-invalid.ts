import type {Evidence, Finding} from '../../model/finding.js'
import type {Rule, RuleContext} from '../rule.js'
import {pmRepairRemedies} from '../../remedy/pm-repair.js'
import {hostScope} from '../scope.js'

/**
 * `nginx -t` or `php-fpm -t` fails now: a stopped service will not start, a running one
 * keeps its old config and the next reload or restart fails.
 */
export const configInvalid: Rule = {
  id: 'config-invalid',
  diagnose(context: RuleContext): Finding[] {
    const {facts} = context
    const findings: Finding[] = []
    const nginx = facts.nginx
    if (nginx && !nginx.test.ok) {
      const lines = nginx.test.output
        .split('\n')
        .filter((line) => /\[(emerg|alert|crit|error)\]|test failed/.test(line))
      findings.push({
        id: 'config-invalid',
        severity: nginx.running ? 'warning' : 'critical',
        scope: hostScope(`nginx (${nginx.binary})`),
        summary:
          `\`nginx -t\` fails${nginx.running ? ': the running nginx keeps its old config and the next reload will fail' : ' and nginx is not running'}` +
          `: ${lines[0] ?? 'see evidence'}`,
        evidence: lines.map((text): Evidence => ({kind: 'command', text, source: `${nginx.binary} -t`})),
        remedies: [],
      })
    }
    for (const install of facts.installs) {
      if (install.test.ok) continue
      findings.push({
        id: 'config-invalid',
        severity: install.running ? 'warning' : 'critical',
        scope: hostScope(`${install.serviceName} (${install.mainConfig})`),
        summary:
          `\`php-fpm -t\` fails${install.running ? ': the next restart of php-fpm will fail' : `: ${install.serviceName} cannot start`}` +
          `: ${install.test.errors[0] ?? 'see evidence'}`,
        evidence: install.test.errors.map((text): Evidence => ({kind: 'command', text, source: `${install.id} -t`})),
        remedies: pmRepairRemedies(install, 'php-fpm -t fails'),
      })
    }
    return findings
  },
}

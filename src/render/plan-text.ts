import {SEVERITY_ORDER, type Finding, type Severity} from '../model/finding.js'
import type {HostPlan, PlanDocument} from '../model/plan.js'
import {colorDiff} from './diff.js'
import {paint} from './style.js'

const SEVERITY_STYLE: Record<Severity, Parameters<typeof paint>[0]> = {
  critical: ['red', 'bold'],
  warning: 'yellow',
  info: 'cyan',
}

function renderFinding(finding: Finding, verbose: boolean): string[] {
  const lines = [
    `  ${paint(SEVERITY_STYLE[finding.severity], finding.severity.padEnd(8))} ${paint('bold', finding.id)}  ${finding.scope.label}`,
    `           ${finding.summary}`,
  ]
  const evidence = verbose ? finding.evidence : finding.evidence.slice(0, 6)
  for (const item of evidence) {
    const where = item.source === undefined ? '' : paint('dim', ` (${item.source})`)
    lines.push(`           ${paint('dim', '·')} ${item.text}${where}`)
  }
  if (evidence.length < finding.evidence.length) {
    lines.push(paint('dim', `           · … ${finding.evidence.length - evidence.length} more (use --verbose)`))
  }
  return lines
}

export function renderHostPlan(host: HostPlan, options: {verbose: boolean}): string {
  const title = host.address === host.name ? host.name : `${host.name} (${host.address})`
  const lines = [paint('bold', `── ${title} ──`)]
  if (host.status === 'failed') {
    lines.push(
      `  ${paint(['red', 'bold'], 'failed')} ${host.error?.code ?? ''}: ${host.error?.message ?? 'unknown error'}`,
    )
    if (host.error?.hint) lines.push(`  hint: ${host.error.hint}`)
    return lines.join('\n')
  }
  const findings = [...host.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity])
  if (findings.length === 0)
    lines.push(
      host.unreadable === undefined
        ? '  No findings: nginx and php-fpm look healthy.'
        : '  No findings in what could be read (see the note below).',
    )
  else lines.push('Findings:', ...findings.flatMap((finding) => renderFinding(finding, options.verbose)))
  for (const note of host.notes) lines.push(`  ${paint('yellow', 'note:')} ${note}`)
  if (host.changes.length > 0) {
    lines.push('', 'Changes:')
    for (const change of host.changes) {
      if (change.viaSymlink)
        lines.push(paint('dim', `# ${change.viaSymlink} is a symlink; writing its target ${change.path}`))
      lines.push(colorDiff(change.diff.trimEnd()))
    }
  }
  if (host.actions.length > 0) {
    lines.push('', 'Service actions, in order:')
    host.actions.forEach((action, index) =>
      lines.push(`  ${index + 1}. ${action.action} ${action.service} — ${action.reason}`),
    )
  }
  if (host.status === 'unchanged') lines.push(paint('green', '  No changes.'))
  return lines.join('\n')
}

export function renderPlanText(plan: PlanDocument, options: {verbose: boolean}): string {
  return `${[...plan.hosts.map((host) => renderHostPlan(host, options)), '', paint('bold', plan.summary.text)].join('\n\n').replace(/\n{3,}/g, '\n\n')}\n`
}

/** The `--json` document (ARCHITECTURE §3): stable names, extra fields allowed. */
export function planJson(plan: PlanDocument): Record<string, unknown> {
  return {
    formatVersion: plan.formatVersion,
    createdAt: plan.createdAt,
    hosts: plan.hosts.map((host) => ({
      name: host.name,
      address: host.address,
      status: host.status,
      findings: host.findings.map((finding) => ({
        id: finding.id,
        severity: finding.severity,
        scope: finding.scope.label,
        scopeDetail: finding.scope,
        summary: finding.summary,
        evidence: finding.evidence,
      })),
      changes: host.changes.map((change) => ({
        path: change.path,
        viaSymlink: change.viaSymlink,
        diff: change.diff,
        reasons: change.reasons,
      })),
      actions: host.actions.map((action) => ({service: action.service, action: action.action, reason: action.reason})),
      notes: host.notes,
      ...(host.unreadable === undefined ? {} : {unreadable: host.unreadable}),
      ...(host.error === undefined ? {} : {error: host.error}),
    })),
    summary: plan.summary,
  }
}

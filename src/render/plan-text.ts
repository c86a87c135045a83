import {SEVERITY_ORDER, type Finding, type Severity} from '../model/finding.js'
import type {DriftItem, HostPlan, PlanDocument} from '../model/plan.js'
import {ABSENT} from '../plan/fingerprints.js'
import {describeConnection} from './connection-text.js'
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

function renderDrift(drift: DriftItem[]): string[] {
  if (drift.length === 0) return []
  const policies = [...new Set(drift.map((item) => item.policy.file))].join(', ')
  const lines = ['', `Drift from policy ${policies}:`]
  for (const item of drift) {
    const where =
      item.where === undefined
        ? ''
        : ` at ${item.where.file}${item.where.line === undefined ? '' : `:${item.where.line}`}`
    lines.push(
      `  ${paint(item.unresolved === undefined ? 'yellow' : 'red', '~')} ${item.what}: wanted ${paint('green', item.wanted)}, ` +
        `found ${paint('red', item.found)}${where}${paint('dim', ` (policy line ${item.policy.line})`)}`,
    )
    if (item.unresolved !== undefined) lines.push(`    ${paint('red', 'not changed:')} ${item.unresolved}`)
  }
  return lines
}

export interface PlanTextOptions {
  verbose: boolean
  /** Say where and as whom each host is reached (show). */
  connection?: boolean
}

/** Unchanged, nothing critical or warning, nothing noted: one line unless --verbose. */
function isHealthy(host: HostPlan): boolean {
  return (
    host.status === 'unchanged' &&
    host.notes.length === 0 &&
    host.findings.every((finding) => finding.severity === 'info')
  )
}

function healthyLine(host: HostPlan, title: string): string {
  const info = host.findings.length
  const more = info === 0 ? '' : paint('dim', ` (${info} info finding${info === 1 ? '' : 's'}; --verbose)`)
  return `${paint('green', '✓')} ${paint('bold', title)}: healthy, no changes${more}`
}

export function renderHostPlan(host: HostPlan, options: PlanTextOptions): string {
  const title = host.address === host.name ? host.name : `${host.name} (${host.address})`
  const reached = options.connection ? describeConnection(host.connection).map((line) => `  ${line}`) : []
  if (!options.verbose && isHealthy(host)) return [healthyLine(host, title), ...reached].join('\n')
  const lines = [paint('bold', `── ${title} ──`), ...reached]
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
  lines.push(...renderDrift(host.drift ?? []))
  if (host.changes.length > 0) {
    lines.push('', 'Changes:')
    for (const change of host.changes) {
      if (change.viaSymlink)
        lines.push(paint('dim', `# ${change.viaSymlink} is a symlink; writing its target ${change.path}`))
      if (change.beforeSha256 === ABSENT) lines.push(paint('dim', `# ${change.path} is a new file`))
      lines.push(colorDiff(change.diff.trimEnd()))
    }
  }
  if (host.actions.length > 0) {
    lines.push('', 'Service actions, in order:')
    host.actions.forEach((action, index) => {
      lines.push(`  ${index + 1}. ${action.action} ${action.service} — ${action.reason}`)
      const gate = [
        ...(action.gate?.fastcgi ?? []).map(
          (probe) => `FastCGI ${probe.socket ?? `${probe.tcp?.host}:${probe.tcp?.port}`}`,
        ),
        ...(action.gate?.http ?? []).map((probe) => `HTTP ${probe.url}`),
      ]
      if (gate.length > 0) lines.push(paint('dim', `     then must answer: ${gate.join(', ')}`))
    })
  }
  if (host.status === 'unchanged') lines.push(paint('green', '  No changes.'))
  return lines.join('\n')
}

export function renderPlanText(plan: PlanDocument, options: PlanTextOptions): string {
  // Healthy one-liners stay together; every other host is a block of its own.
  const blocks: string[] = []
  let healthy: string[] = []
  for (const host of plan.hosts) {
    const text = renderHostPlan(host, options)
    if (!options.verbose && isHealthy(host) && !options.connection) healthy.push(text)
    else {
      if (healthy.length > 0) blocks.push(healthy.join('\n'))
      healthy = []
      blocks.push(text)
    }
  }
  if (healthy.length > 0) blocks.push(healthy.join('\n'))
  const summary = paint('bold', plan.summary.text)
  return `${[...blocks, summary].join('\n\n').replace(/\n{3,}/g, '\n\n')}\n`
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
      actions: host.actions.map((action) => ({
        service: action.service,
        action: action.action,
        reason: action.reason,
        ...(action.gate === undefined ? {} : {gate: action.gate}),
      })),
      notes: host.notes,
      ...(host.connection === undefined ? {} : {connection: host.connection}),
      ...(host.drift === undefined ? {} : {drift: host.drift}),
      ...(host.unreadable === undefined ? {} : {unreadable: host.unreadable}),
      ...(host.error === undefined ? {} : {error: host.error}),
    })),
    summary: plan.summary,
  }
}

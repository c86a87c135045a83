import type {ApplyProbes, FpmInstallOptions, NginxOptions} from '../apply/types.js'
import type {PolicyLine} from './desired.js'
import type {Finding, ServiceActionKind, ServiceTarget, Severity} from './finding.js'
import type {HostConnection} from './target.js'

export const PLAN_FORMAT_VERSION = 1

/** A whole-file replacement, computed from the file's exact bytes at plan time. */
export interface FileChange {
  /** The file written: a symlink's target, never the link itself. */
  path: string
  /** The path the config named when it was a symlink (e.g. sites-enabled/…). */
  viaSymlink?: string
  before: string
  after: string
  beforeSha256: string
  afterSha256: string
  /** Unified diff with git-style a/ b/ headers. */
  diff: string
  reasons: string[]
}

export interface ServiceAction {
  target: ServiceTarget
  /** The service's real name (php8.2-fpm, php-fpm, php-fpm82, nginx). */
  service: string
  action: ServiceActionKind
  reason: string
  /**
   * Probes that must pass right after this action, before the next one runs: a FastCGI request
   * to each pool a php-fpm action (re)started, an HTTP request through nginx after its reload.
   * A failing gate rolls the whole transaction back (so an old service is never stopped while
   * its replacement does not answer).
   */
  gate?: ApplyProbes
}

/** One way a host differs from its policy's desired state. */
export interface DriftItem {
  /** What differs: `[app] pm.max_children (php 8.2)`, `fastcgi_read_timeout (server shop location ~ \.php$)`. */
  what: string
  /** Where the host has it now (file:line), or the file the plan creates for it. */
  where?: {file: string; line?: number}
  wanted: string
  found: string
  /** The policy line that asks for it. */
  policy: PolicyLine
  /** Set when this plan does not make the change, with why. */
  unresolved?: string
}

/** Something the plan was computed from, re-read by apply to refuse a stale plan. */
export interface Fingerprint {
  kind: 'file' | 'state'
  /** A path for files; a state key such as `socket:/run/php/php8.2-fpm.sock` or `service:php8.2-fpm`. */
  key: string
  sha256: string
}

export type HostPlanStatus = 'changes' | 'unchanged' | 'failed'

export interface HostPlan {
  name: string
  address: string
  status: HostPlanStatus
  findings: Finding[]
  changes: FileChange[]
  actions: ServiceAction[]
  fingerprints: Fingerprint[]
  /** Problems the planner saw but would not guess at (ambiguity, no config remedy). */
  notes: string[]
  /** Differences from the policy's desired state (only with a policy that states one). */
  drift?: DriftItem[]
  /** What the login user could not read (without --become), so causes needing it could not be seen. */
  unreadable?: string[]
  /** What apply checks after acting: the listeners each php-fpm install must serve, and the probes. */
  verify?: {fpm: Record<string, FpmInstallOptions>; nginx: NginxOptions; probes: ApplyProbes}
  error?: {code: string; message: string; hint?: string}
  /** How the host was reached when planned; apply reaches it the same way and checks its host key. */
  connection?: HostConnection
}

/**
 * One summary shape for every document about hosts (plan and apply): counts by outcome,
 * the hosts that change, findings by severity, and criticals the plan leaves unfixed.
 */
export interface PlanSummary {
  hosts: number
  toChange: number
  unchanged: number
  failed: number
  /** Hosts per status (plan: changes/unchanged/failed; apply: applied/rolled-back/skipped/…). */
  statuses: Record<string, number>
  /** Names of the hosts the plan changes. */
  hostsToChange: string[]
  /** Findings of every host, by severity. */
  findings: Record<Severity, number>
  /** Hosts with a critical finding the plan proposes no change for: still answering 502s afterwards. */
  criticalUnfixed: string[]
  text: string
}

export interface PlanDocument {
  formatVersion: number
  kind: 'fpmfix-plan'
  createdAt: string
  fpmfixVersion: string
  hosts: HostPlan[]
  summary: PlanSummary
}

/** A planned host an apply leaves alone, and why (not selected by --limit, no plan result). */
export interface SkippedHost {
  name: string
  address: string
  reason: string
}

/** Critical findings on a host that the plan does not change anything for. */
export function unfixedCriticals(host: HostPlan): Finding[] {
  return host.findings.filter(
    (finding) => finding.severity === 'critical' && (finding.remedies.length === 0 || host.status !== 'changes'),
  )
}

export function countFindings(hosts: readonly HostPlan[]): Record<Severity, number> {
  const counts: Record<Severity, number> = {critical: 0, warning: 0, info: 0}
  for (const finding of hosts.flatMap((host) => host.findings)) counts[finding.severity] += 1
  return counts
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function names(list: readonly string[], max = 8): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`
}

/** The findings and unfixed-critical part of a summary line, shared by plan and apply. */
export function findingsText(findings: Record<Severity, number>, criticalUnfixed: readonly string[]): string {
  const total = findings.critical + findings.warning + findings.info
  const parts = [
    total === 0
      ? 'no findings'
      : `findings: ${findings.critical} critical, ${plural(findings.warning, 'warning')}, ${findings.info} info`,
  ]
  if (criticalUnfixed.length > 0) parts.push(`critical left unfixed on ${names(criticalUnfixed)}`)
  return parts.join('; ')
}

export function summarize(hosts: HostPlan[]): PlanSummary {
  const changing = hosts.filter((host) => host.status === 'changes').map((host) => host.name)
  const failed = hosts.filter((host) => host.status === 'failed').length
  const unchanged = hosts.length - changing.length - failed
  const statuses: Record<string, number> = {}
  for (const host of hosts) statuses[host.status] = (statuses[host.status] ?? 0) + 1
  const findings = countFindings(hosts)
  const criticalUnfixed = hosts.filter((host) => unfixedCriticals(host).length > 0).map((host) => host.name)
  const toChange = changing.length === 0 ? '0 to change' : `${changing.length} to change (${names(changing)})`
  return {
    hosts: hosts.length,
    toChange: changing.length,
    unchanged,
    failed,
    statuses,
    hostsToChange: changing,
    findings,
    criticalUnfixed,
    text:
      `${plural(hosts.length, 'host')}: ${toChange}, ${unchanged} unchanged, ${failed} failed; ` +
      findingsText(findings, criticalUnfixed),
  }
}

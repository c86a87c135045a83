import type {ApplyResult, ApplyStatus} from '../apply/types.js'
import type {HostExit} from '../exit-codes.js'
import {
  countFindings,
  findingsText,
  unfixedCriticals,
  type PlanDocument,
  type PlanSummary,
  type SkippedHost,
} from '../model/plan.js'
import type {HostOutcome} from '../run/host-runner.js'
import {paint} from './style.js'

const STATUS_STYLE: Record<ApplyStatus, Parameters<typeof paint>[0]> = {
  applied: 'green',
  unchanged: 'dim',
  'rolled-back': ['yellow', 'bold'],
  'rollback-failed': ['red', 'bold'],
  'refused-stale': 'yellow',
  locked: 'yellow',
  failed: ['red', 'bold'],
}

export type ApplyOutcome = HostOutcome<ApplyResult>

export function statusOf(outcome: ApplyOutcome): ApplyStatus {
  return outcome.ok ? outcome.value.status : 'failed'
}

function detail(outcome: ApplyOutcome): string[] {
  if (!outcome.ok)
    return [
      `  [${outcome.error.code}] ${outcome.error.message}`,
      ...(outcome.error.hint ? [`  hint: ${outcome.error.hint}`] : []),
    ]
  const result = outcome.value
  const lines: string[] = []
  if (result.txid) lines.push(paint('dim', `  transaction ${result.txid}`))
  if (result.recoveredLock)
    lines.push(`  recovered the lock of dead transaction ${result.recoveredLock.txid} (${result.recoveredLock.owner})`)
  if (result.stale?.length) lines.push(`  changed since the plan: ${result.stale.join(', ')}`)
  if (result.lock)
    lines.push(`  locked by ${result.lock.owner}, transaction ${result.lock.txid}, since ${result.lock.started}`)
  if (result.failedStep) lines.push(`  failed step: ${result.failedStep}`)
  if (result.rollbackStep) lines.push(`  rollback failed at: ${result.rollbackStep}`)
  if (result.output)
    lines.push(
      ...result.output
        .trimEnd()
        .split('\n')
        .slice(-20)
        .map((line) => `  | ${line}`),
    )
  if (result.note) lines.push(`  ${result.note}`)
  const total = result.steps.reduce((sum, step) => sum + step.ms, 0)
  if (result.steps.length > 0)
    lines.push(
      paint('dim', `  ${result.steps.map((step) => `${step.name} ${step.ms}ms`).join(', ')} (${total} ms on the host)`),
    )
  return lines
}

/** What an apply (or rollback) did: each host's outcome, the hosts it left alone, and the plan it applied. */
export interface ApplyReport {
  outcomes: ApplyOutcome[]
  skipped?: SkippedHost[]
  /** The plan applied (absent for rollback): its findings are counted in the summary. */
  plan?: PlanDocument
}

/** apply's --json document changed shape in version 2: `summary` is an object, as plan's is. */
export const APPLY_FORMAT_VERSION = 2

const SETTLED: ReadonlySet<string> = new Set(['applied', 'unchanged', 'skipped'])

export function renderApplyText(report: ApplyReport): string {
  const lines = [
    ...report.outcomes.flatMap((outcome) => [
      `${paint('bold', outcome.target.name)}: ${paint(STATUS_STYLE[statusOf(outcome)], statusOf(outcome))}`,
      ...detail(outcome),
    ]),
    ...(report.skipped ?? []).map((host) => `${paint('bold', host.name)}: ${paint('dim', `skipped (${host.reason})`)}`),
  ]
  return `${lines.join('\n')}\n\n${paint('bold', applySummary(report).text)}\n`
}

/** The same summary shape as plan's: counts by status, the hosts the plan changes, findings by severity. */
export function applySummary(report: ApplyReport): PlanSummary {
  const skipped = report.skipped ?? []
  const statuses: Record<string, number> = {}
  for (const status of [...report.outcomes.map(statusOf), ...skipped.map(() => 'skipped' as const)]) {
    statuses[status] = (statuses[status] ?? 0) + 1
  }
  const applied = new Set(report.outcomes.map((outcome) => outcome.target.name))
  const planned = (report.plan?.hosts ?? []).filter((host) => applied.has(host.name))
  const hostsToChange =
    report.plan === undefined
      ? [...applied]
      : planned.filter((host) => host.status === 'changes').map((host) => host.name)
  const findings = countFindings(planned)
  const criticalUnfixed = planned.filter((host) => unfixedCriticals(host).length > 0).map((host) => host.name)
  const hosts = report.outcomes.length + skipped.length
  const counts = Object.entries(statuses).map(([status, count]) => `${count} ${status}`)
  return {
    hosts,
    toChange: hostsToChange.length,
    unchanged: statuses.unchanged ?? 0,
    failed: report.outcomes.filter((outcome) => !SETTLED.has(statusOf(outcome))).length,
    statuses,
    hostsToChange,
    findings,
    criticalUnfixed,
    text:
      `${hosts} ${hosts === 1 ? 'host' : 'hosts'}: ${counts.join(', ') || 'nothing to do'}` +
      (report.plan === undefined ? '' : `; ${findingsText(findings, criticalUnfixed)}`),
  }
}

export function applyJson(report: ApplyReport): Record<string, unknown> {
  return {
    formatVersion: APPLY_FORMAT_VERSION,
    hosts: [
      ...report.outcomes.map((outcome) => ({
        name: outcome.target.name,
        address: outcome.target.address,
        ...(outcome.ok ? outcome.value : {status: 'failed', steps: [], error: outcome.error.toJSON()}),
      })),
      ...(report.skipped ?? []).map((host) => ({
        name: host.name,
        address: host.address,
        status: 'skipped',
        steps: [],
        note: host.reason,
      })),
    ],
    summary: applySummary(report),
  }
}

/** Each host's outcome as the exit-code table reads it. */
export function applyHostExits(report: ApplyReport): HostExit[] {
  return [
    ...report.outcomes.map((outcome) => ({
      status: statusOf(outcome),
      errorCode: outcome.ok ? undefined : outcome.error.code,
    })),
    ...(report.skipped ?? []).map(() => ({status: 'skipped'})),
  ]
}

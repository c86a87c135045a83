import type {ApplyStatus} from '../apply/types.js'
import type {HostExit} from '../exit-codes.js'
import {
  countFindings,
  findingsText,
  unfixedCriticals,
  type PlanDocument,
  type PlanSummary,
  type SkippedHost,
} from '../model/plan.js'
import type {Retest, RetestedResult} from '../rollout/retest.js'
import type {RolloutReport} from '../rollout/rollout.js'
import type {HostOutcome, NotStarted} from '../run/host-runner.js'
import {describeLoad} from '../verify/verify-host.js'
import {paint} from './style.js'

const STATUS_STYLE: Record<ApplyStatus, Parameters<typeof paint>[0]> = {
  applied: 'green',
  undone: 'green',
  'already-applied': 'green',
  unchanged: 'dim',
  'rolled-back': ['yellow', 'bold'],
  'rollback-failed': ['red', 'bold'],
  'refused-stale': 'yellow',
  locked: 'yellow',
  failed: ['red', 'bold'],
}

export type ApplyOutcome = HostOutcome<RetestedResult>

export function statusOf(outcome: ApplyOutcome): ApplyStatus {
  return outcome.ok ? outcome.value.status : 'failed'
}

const ms = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(1)}ms`)

/** The retest's figures: its load, then one line per route. */
function retestLines(retest: Retest): string[] {
  if (retest.status === 'error') return [`  retest: could not run: [${retest.error.code}] ${retest.error.message}`]
  const from = retest.from === 'host' ? 'from the host' : 'from here'
  return [
    `  retest under load (${describeLoad(retest.load)}, ${from}): ${retest.status}`,
    ...retest.routes.map((route) => {
      const answers = Object.entries(route.statuses).map(([status, count]) => `${status}×${count}`)
      const latency = route.latencyMs
      return (
        `    ${route.url}: ${route.requests} requests, ${answers.join(' ') || 'no answer'}, ` +
        `${route.connectionErrors} connection errors, ${route.timeouts} timeouts, ` +
        `p50/p95/p99 ${ms(latency?.p50)}/${ms(latency?.p95)}/${ms(latency?.p99)}, ${route.requestsPerSecond.toFixed(1)} req/s`
      )
    }),
  ]
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
  if (result.appliedBy)
    lines.push(
      `  already applied by transaction ${result.appliedBy}${result.status === 'already-applied' ? '; nothing was written' : ''}`,
    )
  const stale = result.staleReasons ?? result.stale ?? []
  if (stale.length > 0) lines.push('  changed since the plan:', ...stale.map((reason) => `    ${reason}`))
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
  if (result.verify) lines.push(...retestLines(result.verify))
  if (result.note) lines.push(`  ${result.note}`)
  if (result.undo && result.undo.status !== 'undone' && result.undo.output)
    lines.push(
      ...result.undo.output
        .trimEnd()
        .split('\n')
        .slice(-10)
        .map((line) => `  | undo: ${line}`),
    )
  const total = result.steps.reduce((sum, step) => sum + step.ms, 0)
  if (result.steps.length > 0)
    lines.push(
      paint('dim', `  ${result.steps.map((step) => `${step.name} ${step.ms}ms`).join(', ')} (${total} ms on the host)`),
    )
  return lines
}

/** The status in words: `already applied`; an undo names the transaction it rolled back. */
function statusText(outcome: ApplyOutcome): string {
  const status = statusOf(outcome)
  if (status === 'undone' && outcome.ok && outcome.value.undid) return `rolled back transaction ${outcome.value.undid}`
  return status === 'already-applied' ? 'already applied' : status
}

/** What an apply (or rollback) did: each host's outcome, the hosts it left alone, and the plan it applied. */
export interface ApplyReport {
  outcomes: ApplyOutcome[]
  skipped?: SkippedHost[]
  /** Hosts a stopped rollout never started (reported `skipped`). */
  notStarted?: NotStarted[]
  /** The batches and health gate, when apply ran as a rollout (--serial, --max-fail-percentage). */
  rollout?: RolloutReport
  /** The plan applied (absent for rollback): its findings are counted in the summary. */
  plan?: PlanDocument
}

/** The batch (1-based) each host of a rollout was in. */
function batchNumbers(rollout: RolloutReport | undefined): Map<string, number> {
  return new Map(rollout?.batches.flatMap((batch, index) => batch.map((name) => [name, index + 1] as const)))
}

/** `(batch 2/4)` after a host of a rollout. */
function batchText(report: ApplyReport, numbers: Map<string, number>, name: string): string {
  const batch = numbers.get(name)
  return batch === undefined ? '' : paint('dim', ` (batch ${batch}/${report.rollout!.batches.length})`)
}

/** How the rollout ended, or nothing when apply did not run as one. */
function rolloutText(report: ApplyReport): string {
  const rollout = report.rollout
  if (rollout === undefined) return ''
  const batches = rollout.batches.length
  const notStarted = report.notStarted?.length ?? 0
  const every = `rollout: ${batches} ${batches === 1 ? 'batch' : 'batches'}, every host attempted`
  if (rollout.stopped === undefined) return every
  if (notStarted === 0) return `${every}; the failed share went over the limit: ${rollout.stopped.reason}`
  return (
    `rollout stopped in batch ${rollout.stopped.batch}/${batches}: ${rollout.stopped.reason}; ` +
    `${notStarted} ${notStarted === 1 ? 'host' : 'hosts'} not started, left untouched`
  )
}

/** apply's --json document changed shape in version 2: `summary` is an object, as plan's is. */
export const APPLY_FORMAT_VERSION = 2

const SETTLED: ReadonlySet<string> = new Set(['applied', 'undone', 'already-applied', 'unchanged', 'skipped'])

export function renderApplyText(report: ApplyReport): string {
  const numbers = batchNumbers(report.rollout)
  const lines = [
    ...report.outcomes.flatMap((outcome) => [
      `${paint('bold', outcome.target.name)}: ${paint(STATUS_STYLE[statusOf(outcome)], statusText(outcome))}` +
        batchText(report, numbers, outcome.target.name),
      ...detail(outcome),
    ]),
    ...(report.notStarted ?? []).map(
      (host) =>
        `${paint('bold', host.target.name)}: ${paint('dim', 'skipped (not started)')}` +
        batchText(report, numbers, host.target.name),
    ),
    ...(report.skipped ?? []).map((host) => `${paint('bold', host.name)}: ${paint('dim', `skipped (${host.reason})`)}`),
  ]
  const rollout = rolloutText(report)
  return `${lines.join('\n')}\n\n${rollout ? `${rollout}\n` : ''}${paint('bold', applySummary(report).text)}\n`
}

/** The same summary shape as plan's: counts by status, the hosts the plan changes, findings by severity. */
export function applySummary(report: ApplyReport): PlanSummary {
  const skipped = [...(report.notStarted ?? []), ...(report.skipped ?? [])]
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
  const numbers = batchNumbers(report.rollout)
  const batch = (name: string): {batch?: number} => (numbers.has(name) ? {batch: numbers.get(name)!} : {})
  return {
    formatVersion: APPLY_FORMAT_VERSION,
    hosts: [
      ...report.outcomes.map((outcome) => ({
        name: outcome.target.name,
        address: outcome.target.address,
        ...batch(outcome.target.name),
        ...(outcome.ok ? outcome.value : {status: 'failed', steps: [], error: outcome.error.toJSON()}),
      })),
      ...(report.notStarted ?? []).map((host) => ({
        name: host.target.name,
        address: host.target.address,
        batch: host.batch,
        status: 'skipped',
        steps: [],
        note: host.reason,
      })),
      ...(report.skipped ?? []).map((host) => ({
        name: host.name,
        address: host.address,
        status: 'skipped',
        steps: [],
        note: host.reason,
      })),
    ],
    ...(report.rollout === undefined ? {} : {rollout: report.rollout}),
    summary: applySummary(report),
  }
}

/** Each host's outcome as the exit-code table reads it; a host a stopped rollout never started is `not-started`. */
export function applyHostExits(report: ApplyReport): HostExit[] {
  return [
    ...report.outcomes.map((outcome) => ({
      status: statusOf(outcome),
      errorCode: outcome.ok ? undefined : outcome.error.code,
    })),
    ...(report.notStarted ?? []).map(() => ({status: 'not-started'})),
    ...(report.skipped ?? []).map(() => ({status: 'skipped'})),
  ]
}

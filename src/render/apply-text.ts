import type {ApplyResult, ApplyStatus} from '../apply/types.js'
import {ExitCode, type ExitCodeValue} from '../exit-codes.js'
import type {HostOutcome} from '../run/host-runner.js'
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
  if (result.appliedBy) lines.push(`  already applied by transaction ${result.appliedBy}; nothing was written`)
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
  if (result.note) lines.push(`  ${result.note}`)
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

export function renderApplyText(outcomes: ApplyOutcome[]): string {
  const lines = outcomes.flatMap((outcome) => [
    `${paint('bold', outcome.target.name)}: ${paint(STATUS_STYLE[statusOf(outcome)], statusText(outcome))}`,
    ...detail(outcome),
  ])
  return `${lines.join('\n')}\n\n${paint('bold', applySummary(outcomes))}\n`
}

export function applySummary(outcomes: ApplyOutcome[]): string {
  const counts = new Map<ApplyStatus, number>()
  for (const outcome of outcomes) counts.set(statusOf(outcome), (counts.get(statusOf(outcome)) ?? 0) + 1)
  const parts = [...counts.entries()].map(([status, count]) => `${count} ${status}`)
  return `${outcomes.length} ${outcomes.length === 1 ? 'host' : 'hosts'}: ${parts.join(', ') || 'nothing to do'}`
}

export function applyJson(outcomes: ApplyOutcome[]): Record<string, unknown> {
  return {
    hosts: outcomes.map((outcome) => ({
      name: outcome.target.name,
      address: outcome.target.address,
      ...(outcome.ok ? outcome.value : {status: 'failed', error: outcome.error.toJSON()}),
    })),
    summary: applySummary(outcomes),
  }
}

/** The most serious outcome decides the exit code; 0 only when every host converged and verified. */
export function applyExitCode(outcomes: ApplyOutcome[]): ExitCodeValue {
  const statuses = new Set(outcomes.map(statusOf))
  if (statuses.has('rollback-failed')) return ExitCode.ROLLBACK_FAILED
  if (statuses.has('rolled-back')) return ExitCode.ROLLED_BACK
  if (statuses.has('refused-stale')) return ExitCode.STALE_PLAN
  if (statuses.has('locked')) return ExitCode.LOCKED
  if (statuses.has('failed')) {
    const unreachable = outcomes.every((outcome) => !outcome.ok && outcome.error.code.startsWith('SSH_'))
    return unreachable ? ExitCode.UNREACHABLE : ExitCode.HOSTS_FAILED
  }
  return ExitCode.OK
}

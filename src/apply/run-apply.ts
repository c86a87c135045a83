import {setTimeout as sleep} from 'node:timers/promises'
import {FpmfixError, isFpmfixError} from '../errors.js'
import type {HostPlan} from '../model/plan.js'
import type {Transport} from '../transport/transport.js'
import {bootstrapCommand, buildTransactionScript, journalDir, STARTED_MARKER} from './transaction-script.js'
import {newBoundary, parsePollOutput, pollCommand} from './tx-report.js'
import {buildTxSpec, DEFAULT_STATE_DIR, isTxid, type TxSpec} from './tx-spec.js'
import type {ApplyOptions, ApplyResult, StepEvent, TransactionReport} from './types.js'

const DEFAULT_TIMEOUT_MS = 300_000
const DEFAULT_POLL_INTERVAL_MS = 200
/** How long one poll may wait on the host for news before answering. */
const POLL_WINDOW_MS = 2_000
const BOOTSTRAP_TIMEOUT_MS = 60_000
const POLL_RETRIES = 3
/** A transaction that neither runs nor wrote anything this long after starting is reported as dead. */
const START_GRACE_MS = 10_000

export interface FollowOptions {
  stateDir?: string
  timeoutMs?: number
  pollIntervalMs?: number
  onStep?: (step: StepEvent) => void
  /** Labels for step names (action-0 → `reload php8.2-fpm`). */
  labels?: Record<string, string>
}

/**
 * Apply one host's plan as a transaction on the host: ships the script, which runs detached
 * (a dropped connection cannot stop it), then follows it to its end. An unchanged plan does
 * nothing; a host whose planning failed is reported as failed without touching it.
 */
export async function applyHostPlan(
  transport: Transport,
  plan: HostPlan,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  if (plan.status === 'failed') {
    return {
      status: 'failed',
      failedStep: 'plan',
      output: plan.error?.message ?? 'planning failed for this host',
      steps: [],
    }
  }
  if (plan.changes.length === 0 && plan.actions.length === 0) return {status: 'unchanged', steps: []}
  return runTransaction(transport, buildTxSpec(plan, options), options)
}

export function stepLabels(spec: Pick<TxSpec, 'files' | 'actions' | 'validations'>): Record<string, string> {
  const files = spec.files.length === 1 ? '1 file' : `${spec.files.length} files`
  const labels: Record<string, string> = {
    lock: 'take the host lock',
    check: 'check the plan is current',
    backup: `back up ${files}`,
    write: `write ${files}`,
    validate:
      spec.validations.map((validation) => (validation.kind === 'nginx' ? 'nginx -t' : 'php-fpm -t')).join(', ') ||
      'validate',
    probe: 'probe php-fpm and nginx',
    rollback: 'roll back',
  }
  spec.actions.forEach((action, index) => {
    labels[`action-${index}`] = action.label
  })
  return labels
}

/** Ship and start a transaction, then follow it until it finishes. */
export async function runTransaction(
  transport: Transport,
  spec: TxSpec,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const started = await transport.exec(bootstrapCommand(spec), {
    stdin: buildTransactionScript(spec),
    timeoutMs: BOOTSTRAP_TIMEOUT_MS,
  })
  if (started.code !== 0 || !started.stdout.includes(`${STARTED_MARKER} ${spec.txid}`)) {
    throw new FpmfixError(
      'APPLY_FAILED',
      `could not start the transaction on ${spec.host}: ${(started.stderr || started.stdout).trim() || `exit ${started.code}`}`,
      {
        host: spec.host,
        hint: 'Check that the login user can become root and that /var/lib/fpmfix is writable.',
        details: {txid: spec.txid, code: started.code},
      },
    )
  }
  return followTransaction(transport, spec.txid, {...options, labels: stepLabels(spec), stateDir: spec.stateDir})
}

async function pollOnce(
  transport: Transport,
  txid: string,
  dir: string,
  knownSteps: number,
  waitMs: number,
  intervalMs: number,
): Promise<TransactionReport | undefined> {
  const boundary = newBoundary()
  const command = pollCommand({journalDir: dir, txid, knownSteps, waitMs, intervalMs, boundary})
  let lastError: unknown
  for (let attempt = 0; attempt < POLL_RETRIES; attempt++) {
    try {
      const result = await transport.exec(command, {timeoutMs: waitMs + 30_000})
      if (result.code === 0) return parsePollOutput(txid, result.stdout, boundary)
      lastError = new Error(result.stderr.trim() || `exit ${result.code}`)
    } catch (error) {
      lastError = error
    }
    await sleep(1_000)
  }
  throw new FpmfixError(
    isFpmfixError(lastError) ? lastError.code : 'APPLY_FAILED',
    `lost track of transaction ${txid}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    {
      hint: 'The transaction keeps running on the host and commits or rolls back by itself; run the command again to see how it ended.',
      details: {txid},
      cause: lastError,
    },
  )
}

/** Follow a transaction (started now, or earlier by a client that went away) until it finishes. */
export async function followTransaction(
  transport: Transport,
  txid: string,
  options: FollowOptions = {},
): Promise<ApplyResult> {
  if (!isTxid(txid)) throw new FpmfixError('USAGE', `not a transaction id: ${JSON.stringify(txid)}`)
  const dir = journalDir({stateDir: options.stateDir ?? DEFAULT_STATE_DIR, txid})
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const firstSeen = Date.now()
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
  let reported = 0
  for (;;) {
    const report = await pollOnce(
      transport,
      txid,
      dir,
      reported,
      Math.min(POLL_WINDOW_MS, Math.max(0, deadline - Date.now())),
      interval,
    )
    if (report === undefined) {
      throw new FpmfixError('APPLY_FAILED', `transaction ${txid} has no journal on this host`, {
        hint: 'Check the transaction id.',
        details: {txid},
      })
    }
    for (const step of report.steps.slice(reported)) {
      options.onStep?.({...step, txid, label: options.labels?.[step.name] ?? step.name})
    }
    reported = Math.max(reported, report.steps.length)
    if (report.result) return report.result
    if (report.interrupted || (!report.running && Date.now() - firstSeen > START_GRACE_MS)) {
      return {
        status: 'failed',
        txid,
        failedStep: 'interrupted',
        steps: report.steps,
        note: 'the transaction process died before finishing; the next apply on this host recovers it (restores the files and services)',
      }
    }
    if (Date.now() >= deadline) {
      throw new FpmfixError('EXEC_TIMEOUT', `transaction ${txid} is still running`, {
        hint: 'It keeps running on the host and commits or rolls back by itself; run the command again later to see how it ended.',
        details: {txid},
      })
    }
  }
}

/** Read a transaction's journal once: running, finished (with its result) or interrupted. */
export async function attachTransaction(
  transport: Transport,
  txid: string,
  options: {stateDir?: string} = {},
): Promise<TransactionReport> {
  if (!isTxid(txid)) throw new FpmfixError('USAGE', `not a transaction id: ${JSON.stringify(txid)}`)
  const report = await pollOnce(
    transport,
    txid,
    journalDir({stateDir: options.stateDir ?? DEFAULT_STATE_DIR, txid}),
    0,
    0,
    DEFAULT_POLL_INTERVAL_MS,
  )
  if (report === undefined) {
    throw new FpmfixError('APPLY_FAILED', `transaction ${txid} has no journal on this host`, {
      hint: 'Check the transaction id.',
      details: {txid},
    })
  }
  return report
}

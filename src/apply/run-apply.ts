import {StringDecoder} from 'node:string_decoder'
import {setTimeout as sleep} from 'node:timers/promises'

import {FpmfixError, isFpmfixError} from '../errors.js'
import type {HostPlan} from '../model/plan.js'
import {newBoundary} from '../protocol/boundary.js'
import {splitSections, type Section} from '../protocol/frames.js'
import {
  DEFAULT_STATE_DIR,
  findJournalReport,
  isTxid,
  parseStepSection,
  type JournalReport,
} from '../protocol/journal.js'
import type {ExecResult, Transport} from '../transport/transport.js'
import {bootstrapProgram, FOLLOW_WINDOW_S, followProgram, transactionPayload} from './payload.js'
import {applyResultOf, transactionReportOf} from './report.js'
import {START_STEP, stepLabels} from './steps.js'
import {buildTxSpec, type TxSpec} from './tx-spec.js'
import type {ApplyOptions, ApplyResult, StepEvent, TransactionReport} from './types.js'

const DEFAULT_TIMEOUT_MS = 300_000
/** Connecting, shipping and unpacking the transaction, before its steps stream. */
const START_TIMEOUT_MS = 60_000
/** Beyond a follow's window: time for the exec itself before it counts as lost. */
const FOLLOW_SLACK_MS = 30_000
const FOLLOW_RETRIES = 3
/** A transaction that neither runs nor wrote anything this long after starting is reported as dead. */
const START_GRACE_MS = 10_000

export interface FollowOptions {
  stateDir?: string
  timeoutMs?: number
  onStep?: (step: StepEvent) => void
  /** Labels for step names (action-0 → `reload php8.2-fpm`). */
  labels?: Record<string, string>
  /** Steps already reported (they are not reported again). */
  seen?: number
}

/**
 * Apply one host's plan as a transaction on the host: ships the runtime and the plan as data,
 * starts it detached (a dropped connection cannot stop it), then follows it to its end. An
 * unchanged plan does nothing; a host whose planning failed is reported as failed without touching it.
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

/**
 * The step sections of one host program's stdout, reported as they arrive, each once and in
 * order, however the stream is cut into chunks; `seen` carries over from an earlier exec.
 */
class StepStream {
  private text = ''
  private readonly decoder = new StringDecoder('utf8')
  started = false

  constructor(
    readonly boundary: string,
    private readonly txid: string,
    private readonly options: FollowOptions,
    public seen: number,
    private readonly onStarted?: () => void,
  ) {}

  readonly feed = (chunk: Buffer): void => {
    this.text += this.decoder.write(chunk)
    this.take(splitSections(this.text, this.boundary).sections)
  }

  /** The whole output once the exec ended: the steps not reported yet, then every section. */
  finish(stdout: string): Section[] {
    const {sections} = splitSections(stdout, this.boundary)
    this.take(sections)
    return sections
  }

  private take(sections: Section[]): void {
    for (const section of sections) {
      if (section.kind === 'started' && section.complete && !this.started) {
        this.started = true
        this.onStarted?.()
      }
      const step = section.kind === 'step' ? parseStepSection(section) : undefined
      if (step === undefined || step.number !== this.seen + 1) continue
      this.seen = step.number
      const label = this.options.labels?.[step.name] ?? step.name
      this.options.onStep?.({name: step.name, ms: step.ms, txid: this.txid, label})
    }
  }
}

function startError(spec: TxSpec, detail: string, code: number | null | undefined, cause?: unknown): FpmfixError {
  return new FpmfixError('APPLY_FAILED', `could not start the transaction on ${spec.host}: ${detail}`, {
    host: spec.host,
    hint:
      'Check that the login user can become root and that /var/lib/fpmfix is writable. ' +
      'If the connection dropped while starting, plan again: the journal says whether it ran.',
    details: {txid: spec.txid, code},
    ...(cause === undefined ? {} : {cause}),
  })
}

/**
 * Ship and start a transaction, then follow it until it finishes. One exec stores the payload,
 * starts the transaction and streams its steps as the host completes them.
 */
export async function runTransaction(
  transport: Transport,
  spec: TxSpec,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const labels = stepLabels(spec)
  const follow: FollowOptions = {...options, labels, stateDir: spec.stateDir}
  const begun = performance.now()
  const stream = new StepStream(newBoundary(), spec.txid, follow, 0, () =>
    options.onStep?.({
      name: START_STEP,
      ms: Math.round(performance.now() - begun),
      txid: spec.txid,
      label: labels[START_STEP]!,
    }),
  )
  let result: ExecResult | undefined
  try {
    result = await transport.exec(bootstrapProgram(spec, stream.boundary), {
      stdin: transactionPayload(spec, stream.boundary),
      timeoutMs: START_TIMEOUT_MS + FOLLOW_WINDOW_S * 1000,
      onStdout: stream.feed,
    })
  } catch (error) {
    // Started, it runs on without this exec: follow it on another. Not started: nothing happened.
    if (!stream.started)
      throw startError(spec, error instanceof Error ? error.message : String(error), undefined, error)
  }
  if (result !== undefined) {
    const sections = stream.finish(result.stdout)
    if (!stream.started)
      throw startError(spec, (result.stderr || result.stdout).trim() || `exit ${result.code}`, result.code)
    const report = findJournalReport(sections)
    const finished = report === undefined ? undefined : applyResultOf(report)
    if (finished !== undefined) return finished
  }
  return followTransaction(transport, spec.txid, {...follow, seen: stream.seen})
}

/** One follow exec (streaming steps after `seen` for up to windowS), retried when the exec itself fails. */
async function followOnce(
  transport: Transport,
  txid: string,
  windowS: number,
  options: FollowOptions,
  seen: number,
): Promise<{report: JournalReport; seen: number}> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR
  let lastError: unknown
  for (let attempt = 0; attempt < FOLLOW_RETRIES; attempt++) {
    const stream = new StepStream(newBoundary(), txid, options, seen)
    try {
      const result = await transport.exec(followProgram(stateDir, txid, seen, windowS, stream.boundary), {
        timeoutMs: windowS * 1000 + FOLLOW_SLACK_MS,
        onStdout: stream.feed,
      })
      const report = findJournalReport(stream.finish(result.stdout))
      if (result.code === 0 && report !== undefined) return {report, seen: stream.seen}
      lastError = new Error(result.stderr.trim() || `exit ${result.code}`)
    } catch (error) {
      lastError = error
    }
    seen = stream.seen
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

function noJournal(txid: string): FpmfixError {
  return new FpmfixError('APPLY_FAILED', `transaction ${txid} has no journal on this host`, {
    hint: 'Check the transaction id.',
    details: {txid},
  })
}

/** Follow a transaction (started now, or earlier by a client that went away) until it finishes. */
export async function followTransaction(
  transport: Transport,
  txid: string,
  options: FollowOptions = {},
): Promise<ApplyResult> {
  if (!isTxid(txid)) throw new FpmfixError('USAGE', `not a transaction id: ${JSON.stringify(txid)}`)
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const firstSeen = Date.now()
  let seen = options.seen ?? 0
  for (;;) {
    const windowS = Math.max(0, Math.min(FOLLOW_WINDOW_S, Math.floor((deadline - Date.now()) / 1000)))
    const followed = await followOnce(transport, txid, windowS, options, seen)
    const report = followed.report
    seen = followed.seen
    if (!report.found) throw noJournal(txid)
    const result = applyResultOf(report)
    if (result !== undefined) return result
    const dead = !report.alive && (report.state.length > 0 || Date.now() - firstSeen > START_GRACE_MS)
    if (dead) {
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
    // Not started yet (no state): ask again shortly rather than in a tight loop.
    if (!report.alive) await sleep(200)
  }
}

/** Read a transaction's journal once: running, finished (with its result) or interrupted. */
export async function attachTransaction(
  transport: Transport,
  txid: string,
  options: {stateDir?: string} = {},
): Promise<TransactionReport> {
  if (!isTxid(txid)) throw new FpmfixError('USAGE', `not a transaction id: ${JSON.stringify(txid)}`)
  const {report} = await followOnce(transport, txid, 0, options, 0)
  if (!report.found) throw noJournal(txid)
  return transactionReportOf(report)
}

/**
 * Ship and start a transaction without following it, as a client that goes away would: resolves
 * once the host reports it running.
 */
export async function startTransaction(transport: Transport, spec: TxSpec): Promise<void> {
  const stream = new StepStream(newBoundary(), spec.txid, {}, 0)
  const result = await transport.exec(bootstrapProgram(spec, stream.boundary, 0), {
    stdin: transactionPayload(spec, stream.boundary),
    timeoutMs: START_TIMEOUT_MS,
  })
  stream.finish(result.stdout)
  if (!stream.started)
    throw startError(spec, (result.stderr || result.stdout).trim() || `exit ${result.code}`, result.code)
}

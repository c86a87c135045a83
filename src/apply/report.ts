import {lockInfo, type FinalState, type JournalReport} from '../protocol/journal.js'
import {staleReason, type StaleCheck} from './stale-reasons.js'
import type {ApplyResult, ApplyStatus, TransactionReport} from './types.js'

function statusOf(final: FinalState, kind: string | undefined): ApplyStatus {
  if (final === 'committed') return kind === 'undo' ? 'undone' : 'applied'
  return final
}

interface ManifestFacts {
  checks: Array<{kind?: unknown; key?: unknown; sha256?: unknown; state?: unknown}>
  files: Array<{path?: unknown; afterSha256?: unknown}>
  undoes?: string
}

function manifestFacts(text: string | undefined): ManifestFacts {
  try {
    const manifest = JSON.parse(text ?? '{}') as Partial<ManifestFacts>
    return {
      checks: Array.isArray(manifest.checks) ? manifest.checks : [],
      files: Array.isArray(manifest.files) ? manifest.files : [],
      ...(typeof manifest.undoes === 'string' ? {undoes: manifest.undoes} : {}),
    }
  } catch {
    return {checks: [], files: []}
  }
}

/** The stale checks a result names (`stale=<i> …`, `stale_now_<i>=…`), with what the manifest says about each. */
function staleChecks(values: Map<string, string>, manifestText: string | undefined): StaleCheck[] {
  const manifest = manifestFacts(manifestText)
  return (values.get('stale') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((index) => {
      const check = manifest.checks[Number(index)] ?? {}
      const key = typeof check.key === 'string' ? check.key : `check #${index}`
      const file = manifest.files.find((entry) => entry.path === key)
      const now = values.get(`stale_now_${index}`)
      return {
        kind: check.kind === 'state' ? 'state' : 'file',
        key,
        sha256: typeof check.sha256 === 'string' ? check.sha256 : '',
        ...(typeof check.state === 'string' ? {state: check.state} : {}),
        ...(typeof file?.afterSha256 === 'string' ? {afterSha256: file.afterSha256} : {}),
        ...(now === undefined ? {} : {now}),
      }
    })
}

/** The ApplyResult a finished transaction's report describes; undefined while it runs. */
export function applyResultOf(report: JournalReport): ApplyResult | undefined {
  const values = report.result
  if (report.final === undefined || values === undefined) return undefined
  const status = statusOf(report.final, values.get('kind'))
  const succeeded = status === 'applied' || status === 'undone' || status === 'already-applied'
  const lock = lockInfo(values, 'lock_')
  const recovered = lockInfo(values, 'recovered_')
  const failedStep = values.get('failed_step')
  const rollbackStep = values.get('rollback_step')
  const appliedBy = values.get('applied_by')
  const stale = values.has('stale') ? staleChecks(values, report.manifest) : undefined
  const undid = status === 'undone' ? (values.get('undoes') ?? manifestFacts(report.manifest).undoes) : undefined
  return {
    status,
    txid: values.get('txid') ?? report.txid,
    ...(failedStep ? {failedStep} : {}),
    ...(report.output && !succeeded ? {output: report.output} : {}),
    ...(stale === undefined ? {} : {stale: stale.map((check) => check.key), staleReasons: stale.map(staleReason)}),
    ...(appliedBy ? {appliedBy} : {}),
    ...(undid ? {undid} : {}),
    ...(lock ? {lock: {...lock, alive: true}} : {}),
    ...(recovered ? {recoveredLock: {...recovered, alive: false}} : {}),
    ...(rollbackStep ? {rollbackStep} : {}),
    steps: report.steps,
    ...(report.log && !succeeded ? {log: report.log} : {}),
  }
}

export function transactionReportOf(report: JournalReport): TransactionReport {
  const result = applyResultOf(report)
  return {
    txid: report.txid,
    running: report.alive && result === undefined,
    interrupted: !report.alive && result === undefined && report.state.length > 0,
    steps: report.steps,
    ...(result ? {result} : {}),
  }
}

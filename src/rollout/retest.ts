import type {ApplyResult} from '../apply/types.js'
import type {HttpProbe} from '../model/verification.js'
import type {RouteReport, RouteSpec, VerifyReport} from '../verify/types.js'

/** A host's retest under load after it committed: verify's figures, or why it could not run. */
export type Retest = VerifyReport | {status: 'error'; error: {code: string; message: string; hint?: string}}

/** One host's apply result with what `--verify` added: its retest and, when that failed, the undo of the change. */
export interface RetestedResult extends ApplyResult {
  verify?: Retest
  /** The transaction that undid the change after a failed retest (or why it did not). */
  undo?: ApplyResult
}

/** The step a failed retest is reported at. */
export const RETEST_STEP = 'verify'
/** The undo of a change whose retest failed. */
export const UNDO_STEP = 'undo'

/**
 * The transaction whose change a retest checks: the one this apply committed, or the earlier one
 * that applied this same plan; undefined when the plan's change is not in effect (nothing to retest).
 */
export function retestedTransaction(result: ApplyResult): string | undefined {
  if (result.status === 'applied') return result.txid
  return result.status === 'already-applied' ? result.appliedBy : undefined
}

/**
 * An HTTP probe of the plan as a route to load: the same address (`http://127.0.0.1:80/index.php`)
 * and Host header as the transaction's own probe, so the retest loads what the probe checked once.
 */
export function probeRoute(probe: HttpProbe): RouteSpec {
  const url = new URL(probe.url)
  const path = `${url.pathname}${url.search}`
  const hostHeader = probe.hostHeader ?? url.host
  return {
    url: `http://${hostHeader}${path}`,
    hostDial: {host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 80 : Number(url.port)},
    path,
    hostHeader,
    source: 'server-block',
  }
}

function routeFailure(route: RouteReport): string {
  const answers = Object.entries(route.statuses).map(([status, count]) => `${status}×${count}`)
  const failed = route.serverErrors + route.connectionErrors + route.timeouts
  const without = [
    ...(route.connectionErrors > 0 ? [`${route.connectionErrors} connection errors`] : []),
    ...(route.timeouts > 0 ? [`${route.timeouts} timeouts`] : []),
  ]
  const detail = [...(answers.length > 0 ? [answers.join(' ')] : []), ...without].join(', ')
  return `${route.url}: ${failed} of ${route.requests} requests failed (${detail || 'no request sent'})`
}

/** Why a retest did not pass, one line per failing route (or the reason it could not run). */
export function retestFailure(retest: Retest): string {
  if (retest.status === 'error') return `the retest could not run: [${retest.error.code}] ${retest.error.message}`
  return retest.routes
    .filter((route) => !route.passed)
    .map(routeFailure)
    .join('\n')
}

/**
 * A host whose retest failed, once the undo of its change ran: `rolled-back` at step `verify`
 * when the undo committed; `rollback-failed` otherwise, since the change the retest rejected is
 * still in place.
 */
export function afterFailedRetest(result: ApplyResult, retest: Retest, undo: ApplyResult): RetestedResult {
  const changed = retestedTransaction(result) ?? '?'
  const base = {...result, failedStep: RETEST_STEP, output: retestFailure(retest), verify: retest, undo}
  if (undo.status === 'undone') {
    return {
      ...base,
      status: 'rolled-back',
      note: `the retest under load failed: transaction ${changed} was rolled back by transaction ${undo.txid ?? '?'}`,
    }
  }
  return {
    ...base,
    status: 'rollback-failed',
    rollbackStep: `${UNDO_STEP}: ${undo.status}${undo.failedStep === undefined ? '' : ` at ${undo.failedStep}`}`,
    note:
      `the retest under load failed and undoing transaction ${changed} did not complete ` +
      `(${undo.note ?? undo.output?.trim().split('\n').at(-1) ?? undo.status}): the change is still in place`,
  }
}

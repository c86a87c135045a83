import {FpmfixError} from '../errors.js'
import type {ApplyResult} from './types.js'

/** The error a non-successful ApplyResult stands for (stable code, exit code, what to do next); undefined when it succeeded. */
export function applyResultError(result: ApplyResult, host?: string): FpmfixError | undefined {
  const where = host === undefined ? {} : {host}
  const details = {txid: result.txid, failedStep: result.failedStep}
  switch (result.status) {
    case 'applied':
    case 'undone':
    case 'already-applied':
    case 'unchanged':
      return undefined
    case 'refused-stale':
      return new FpmfixError(
        'PLAN_STALE',
        `the host changed since the plan was made: ${(result.staleReasons ?? result.stale ?? []).join('; ') || 'fingerprints differ'}`,
        {
          ...where,
          hint: 'Nothing was written. Run fpmfix plan again and apply the new plan.',
          details: {...details, stale: result.stale},
        },
      )
    case 'locked':
      return new FpmfixError(
        'LOCKED',
        `another apply is running on this host (transaction ${result.lock?.txid ?? '?'}, ` +
          `${result.lock?.owner ?? 'unknown owner'}, since ${result.lock?.started ?? '?'})`,
        {
          ...where,
          hint:
            'Wait for it to finish. If its process is gone, the next apply recovers the lock by itself; ' +
            `--force-unlock ${result.lock?.txid ?? 'LOCKID'} removes it.`,
          details: {...details, lock: result.lock},
        },
      )
    case 'rolled-back':
      return new FpmfixError(
        'ROLLED_BACK',
        `step ${result.failedStep ?? '?'} failed; the host was rolled back to its previous state`,
        {
          ...where,
          hint: 'See the output of the failed step; the files and services are as they were before.',
          details: {...details, output: result.output},
        },
      )
    case 'rollback-failed':
      return new FpmfixError(
        'ROLLBACK_FAILED',
        `step ${result.failedStep ?? '?'} failed and rolling back failed too (${result.rollbackStep ?? '?'})`,
        {
          ...where,
          hint: `The host needs a human: the backups are in /var/lib/fpmfix/journal/${result.txid ?? '<txid>'}/files.`,
          details: {...details, rollbackStep: result.rollbackStep, output: result.output},
        },
      )
    case 'failed':
      return new FpmfixError('APPLY_FAILED', `step ${result.failedStep ?? '?'} failed before anything was written`, {
        ...where,
        hint: result.note ?? 'See the output of the failed step; nothing on the host was changed.',
        details: {...details, output: result.output},
      })
  }
}

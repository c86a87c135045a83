import {FpmfixError} from '../errors.js'
import {newBoundary} from '../protocol/boundary.js'
import {parseKeyValues, splitSections} from '../protocol/frames.js'
import {hostProgram} from '../protocol/host-program.js'
import {DEFAULT_STATE_DIR, isTxid, JOURNAL_LIBRARIES, lockInfo, type LockInfo} from '../protocol/journal.js'
import {readJournalStatus} from '../protocol/journal-status.js'
import type {Transport} from '../transport/transport.js'
import {transactionReportOf} from './report.js'
import type {TransactionReport} from './types.js'

export interface HostJournalStatus {
  /** Who holds the lock now (alive false: a dead transaction's lock, recovered by the next apply). */
  lock?: LockInfo
  /** The newest transaction that did more than refuse: in progress, finished, or interrupted. */
  latest?: TransactionReport
}

/** What `plan`/`apply` report before touching a host: a transaction in progress, or how the last one ended. */
export async function readHostJournal(
  transport: Transport,
  options: {stateDir?: string} = {},
): Promise<HostJournalStatus> {
  const status = await readJournalStatus(transport, options.stateDir ?? DEFAULT_STATE_DIR)
  return {
    ...(status.lock ? {lock: status.lock} : {}),
    ...(status.latest ? {latest: transactionReportOf(status.latest)} : {}),
  }
}

export interface ForceUnlockResult {
  removed: boolean
  /** How the dead holder's transaction ended after its recovery (rolled-back, committed …). */
  holderState?: string
  /** The lock that was there (removed or not). */
  lock?: LockInfo
}

/**
 * `--force-unlock LOCKID`: remove the host lock only when it belongs to that transaction and
 * its process is gone, after that transaction's own script has rolled back whatever it had
 * written (or committed it, if it had passed its probes). A live holder is never unlocked from
 * under it: stopping it (SIGTERM) makes it roll back and release the lock itself.
 */
export async function forceUnlock(
  transport: Transport,
  lockId: string,
  options: {stateDir?: string} = {},
): Promise<ForceUnlockResult> {
  if (!isTxid(lockId))
    throw new FpmfixError('USAGE', `not a lock id: ${JSON.stringify(lockId)}`, {
      hint: 'Use the transaction id shown with the lock.',
    })
  const boundary = newBoundary()
  const program = hostProgram([...JOURNAL_LIBRARIES, 'apply/runtime/unlock.sh'], {
    B: boundary,
    STATE_DIR: options.stateDir ?? DEFAULT_STATE_DIR,
    LOCK_ID: lockId,
  })
  const result = await transport.exec(program, {timeoutMs: 30_000})
  const {sections} = splitSections(result.stdout, boundary)
  const unlock = sections.find((section) => section.kind === 'unlock' && section.complete)
  if (result.code !== 0 || unlock === undefined) {
    throw new FpmfixError('EXEC_FAILED', `cannot remove the lock: ${result.stderr.trim() || `exit ${result.code}`}`)
  }
  const outcome = parseKeyValues(unlock.content)
  const lockSection = sections.find((section) => section.kind === 'lock')
  const lock = lockSection === undefined ? undefined : lockInfo(parseKeyValues(lockSection.content))
  switch (outcome.get('outcome')) {
    case 'none':
      return {removed: false}
    case 'mismatch':
      throw new FpmfixError('USAGE', `the lock belongs to transaction ${lock?.txid || '(unknown)'}, not ${lockId}`, {
        hint: `Pass the lock id shown by apply: --force-unlock ${lock?.txid ?? 'LOCKID'}`,
        details: {lock},
      })
    case 'alive':
      throw new FpmfixError(
        'LOCKED',
        `transaction ${lockId} is still running (pid ${lock?.pid ?? '?'}, ${lock?.owner})`,
        {
          hint: `Wait for it to finish, or stop it with kill ${lock?.pid ?? '<pid>'} (it rolls back and releases the lock).`,
          details: {lock},
        },
      )
    default: {
      const holderState = outcome.get('holder_state')
      return {
        removed: outcome.get('outcome') === 'removed',
        ...(lock ? {lock} : {}),
        ...(holderState ? {holderState} : {}),
      }
    }
  }
}

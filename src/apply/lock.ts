import {FpmfixError} from '../errors.js'
import type {Transport} from '../transport/transport.js'
import {shellQuote} from '../util/shell-quote.js'
import {attachTransaction} from './run-apply.js'
import {journalRoot} from './transaction-script.js'
import {newBoundary, parseKeyValues, SECTION_FUNCTION, splitSections, TX_ALIVE_FUNCTION} from './tx-report.js'
import {DEFAULT_STATE_DIR, isTxid} from './tx-spec.js'
import type {LockInfo, TransactionReport} from './types.js'

function lockPath(stateDir: string): string {
  return `${stateDir === '/' ? '' : stateDir.replace(/\/+$/, '')}/lock`
}

/** Prints the lock's info file and whether its holder lives, then the newest transaction id. */
function journalStatusCommand(stateDir: string, boundary: string): string {
  return [
    'LC_ALL=C',
    'export LC_ALL',
    TX_ALIVE_FUNCTION,
    `L=${shellQuote(lockPath(stateDir))}`,
    `J=${shellQuote(journalRoot({stateDir}))}`,
    `B=${shellQuote(boundary)}`,
    SECTION_FUNCTION,
    'if [ -d "$L" ]; then',
    '  section lock; cat "$L/info" 2>/dev/null',
    '  pid=$(sed -n "s/^pid=//p" "$L/info" 2>/dev/null | head -n 1)',
    '  txid=$(sed -n "s/^txid=//p" "$L/info" 2>/dev/null | head -n 1)',
    '  section alive; if tx_alive "$pid" "$txid"; then echo 1; else echo 0; fi',
    'fi',
    'section latest; tail -n 1 "$J/.sequence" 2>/dev/null',
    'section end',
  ].join('\n')
}

function toLockInfo(info: string, alive: boolean): LockInfo {
  const values = parseKeyValues(info)
  const pid = Number.parseInt(values.get('pid') ?? '', 10)
  return {
    txid: values.get('txid') ?? '',
    pid: Number.isInteger(pid) ? pid : undefined,
    owner: values.get('owner') ?? '',
    started: values.get('started') ?? '',
    alive,
  }
}

export interface HostJournalStatus {
  /** Who holds the lock now (alive false: a dead transaction's lock, recovered by the next apply). */
  lock?: LockInfo
  /** The last transaction that held the lock: in progress, finished, or interrupted. */
  latest?: TransactionReport
}

/** What `plan`/`apply` report before touching a host: a transaction in progress, or how the last one ended. */
export async function readHostJournal(
  transport: Transport,
  options: {stateDir?: string} = {},
): Promise<HostJournalStatus> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR
  const boundary = newBoundary()
  const result = await transport.exec(journalStatusCommand(stateDir, boundary), {timeoutMs: 30_000})
  if (result.code !== 0) {
    throw new FpmfixError(
      'EXEC_FAILED',
      `cannot read the fpmfix journal: ${result.stderr.trim() || `exit ${result.code}`}`,
      {
        hint: 'Check that fpmfix can become root on this host.',
      },
    )
  }
  const sections = splitSections(result.stdout, boundary)
  const status: HostJournalStatus = {}
  if (sections.has('lock'))
    status.lock = toLockInfo(sections.get('lock') ?? '', (sections.get('alive') ?? '').trim() === '1')
  const latest = (sections.get('latest') ?? '').trim()
  if (isTxid(latest)) status.latest = await attachTransaction(transport, latest, {stateDir})
  return status
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
 * written (or committed it, if it had passed its probes). A live holder is never unlocked from under it: stopping it (SIGTERM)
 * makes it roll back and release the lock itself.
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
  const lock = lockPath(options.stateDir ?? DEFAULT_STATE_DIR)
  const boundary = newBoundary()
  const command = [
    'LC_ALL=C',
    'export LC_ALL',
    TX_ALIVE_FUNCTION,
    `L=${shellQuote(lock)}`,
    `B=${shellQuote(boundary)}`,
    SECTION_FUNCTION,
    '[ -d "$L" ] || { section none; exit 0; }',
    'section lock; cat "$L/info" 2>/dev/null',
    'pid=$(sed -n "s/^pid=//p" "$L/info" 2>/dev/null | head -n 1)',
    'txid=$(sed -n "s/^txid=//p" "$L/info" 2>/dev/null | head -n 1)',
    `if [ "$txid" != ${shellQuote(lockId)} ]; then section mismatch; exit 0; fi`,
    'if tx_alive "$pid" "$txid"; then section alive; exit 0; fi',
    // A dead holder may have written files: its own script restores them before the lock goes.
    `T=${shellQuote(journalRoot({stateDir: options.stateDir ?? DEFAULT_STATE_DIR}))}/$txid`,
    'last=$(tail -n 1 "$T/state" 2>/dev/null)',
    'case $last in committed|rolled-back|rollback-failed|refused-stale|locked|failed) ;; *)',
    '  [ -f "$T/tx.sh" ] && sh "$T/tx.sh" recover >> "$T/log" 2>&1 </dev/null ;;',
    'esac',
    'section recovered; tail -n 1 "$T/state" 2>/dev/null',
    'rm -rf "$L" && section removed',
  ].join('\n')
  const result = await transport.exec(command, {timeoutMs: 30_000})
  if (result.code !== 0) {
    throw new FpmfixError('EXEC_FAILED', `cannot remove the lock: ${result.stderr.trim() || `exit ${result.code}`}`)
  }
  const sections = splitSections(result.stdout, boundary)
  if (sections.has('none')) return {removed: false}
  const info = toLockInfo(sections.get('lock') ?? '', sections.has('alive'))
  if (sections.has('mismatch')) {
    throw new FpmfixError('USAGE', `the lock belongs to transaction ${info.txid || '(unknown)'}, not ${lockId}`, {
      hint: `Pass the lock id shown by apply: --force-unlock ${info.txid}`,
      details: {lock: info},
    })
  }
  if (sections.has('alive')) {
    throw new FpmfixError('LOCKED', `transaction ${lockId} is still running (pid ${info.pid ?? '?'}, ${info.owner})`, {
      hint: `Wait for it to finish, or stop it with kill ${info.pid ?? '<pid>'} (it rolls back and releases the lock).`,
      details: {lock: info},
    })
  }
  const holderState = (sections.get('recovered') ?? '').trim()
  return {removed: sections.has('removed'), lock: info, ...(holderState ? {holderState} : {})}
}

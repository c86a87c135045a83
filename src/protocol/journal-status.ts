import {FpmfixError} from '../errors.js'
import type {HostJournal} from '../model/snapshot.js'
import type {Transport} from '../transport/transport.js'
import {newBoundary} from './boundary.js'
import {parseKeyValues, splitSections, type Section} from './frames.js'
import {hostProgram} from './host-program.js'
import {
  DEFAULT_STATE_DIR,
  findJournalReport,
  JOURNAL_LIBRARIES,
  lockInfo,
  type JournalReport,
  type LockInfo,
} from './journal.js'

export interface JournalStatus {
  /** Who holds the lock now (alive false: a dead transaction's lock, recovered by the next apply). */
  lock?: LockInfo
  /** The newest transaction that did more than refuse (stale, locked, already applied). */
  latest?: JournalReport
}

/** The lock and the latest transaction's report, as journal_status (sh/journal.sh) prints them. */
export function parseJournalStatus(stdout: string, boundary: string): JournalStatus {
  return journalStatusFromSections(splitSections(stdout, boundary).sections)
}

/** journal_status's sections (another program, the gather, prints them in its own run). */
export function journalStatusFromSections(sections: Section[]): JournalStatus {
  const status: JournalStatus = {}
  const lock = sections.find((section) => section.kind === 'lock')
  if (lock !== undefined) status.lock = lockInfo(parseKeyValues(lock.content))
  const latest = findJournalReport(sections)
  if (latest?.found) status.latest = latest
  return status
}

export async function readJournalStatus(
  transport: Transport,
  stateDir: string = DEFAULT_STATE_DIR,
): Promise<JournalStatus> {
  const boundary = newBoundary()
  const program = hostProgram([...JOURNAL_LIBRARIES, 'protocol/journal-status.sh'], {
    B: boundary,
    STATE_DIR: stateDir,
  })
  const result = await transport.exec(program, {timeoutMs: 30_000})
  if (result.code !== 0) {
    throw new FpmfixError(
      'EXEC_FAILED',
      `cannot read the fpmfix journal: ${result.stderr.trim() || `exit ${result.code}`}`,
      {
        hint: 'Check that fpmfix can become root on this host.',
      },
    )
  }
  return parseJournalStatus(result.stdout, boundary)
}

/** What a snapshot keeps of a journal status: what the plan notes are made of, as plain data. */
export function hostJournal(status: JournalStatus): HostJournal {
  const journal: HostJournal = {}
  if (status.lock !== undefined) {
    const {pid, ...lock} = status.lock
    journal.lock = {...lock, ...(pid === undefined ? {} : {pid})}
  }
  const latest = status.latest
  if (latest !== undefined) {
    const failedStep = latest.result?.get('failed_step')
    journal.latest = {
      txid: latest.txid,
      alive: latest.alive,
      state: latest.state,
      ...(latest.final === undefined ? {} : {final: latest.final}),
      ...(failedStep ? {failedStep} : {}),
    }
  }
  return journal
}

/** What a plan should say about the journal: an apply running now, one that died, or one that did not commit. */
export function journalNotes(status: JournalStatus): string[] {
  return hostJournalNotes(hostJournal(status))
}

/** journalNotes of a host's journal as its snapshot keeps it. */
export function hostJournalNotes(journal: HostJournal): string[] {
  const notes: string[] = []
  const latest = journal.latest
  if (latest !== undefined && latest.final === undefined && latest.alive) {
    notes.push(
      `an fpmfix apply is running on this host now (transaction ${latest.txid}); this plan may be stale when it ends`,
    )
  } else if (latest !== undefined && latest.final === undefined && latest.state.length > 0) {
    notes.push(
      `fpmfix transaction ${latest.txid} was interrupted; the next apply recovers it (rolls it back or commits it)`,
    )
  } else if (latest?.final !== undefined && latest.final !== 'committed') {
    const step = latest.failedStep
    notes.push(`the last fpmfix transaction (${latest.txid}) ended ${latest.final}${step ? ` at step ${step}` : ''}`)
  }
  if (journal.lock && journal.lock.txid !== latest?.txid) {
    notes.push(
      `the host lock is held by transaction ${journal.lock.txid} (${journal.lock.owner}, since ${journal.lock.started})`,
    )
  }
  return notes
}

/** The host's journal read in an exec of its own; one that cannot be read is left out. */
export async function readHostJournal(transport: Transport): Promise<HostJournal | undefined> {
  try {
    return hostJournal(await readJournalStatus(transport))
  } catch {
    return undefined
  }
}

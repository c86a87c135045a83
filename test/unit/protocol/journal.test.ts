import {spawn} from 'node:child_process'
import {appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {newBoundary} from '../../../src/protocol/boundary.js'
import {splitSections} from '../../../src/protocol/frames.js'
import {hostProgram} from '../../../src/protocol/host-program.js'
import {findJournalReport, JOURNAL_LIBRARIES, parseStepSection} from '../../../src/protocol/journal.js'
import {journalNotes, parseJournalStatus} from '../../../src/protocol/journal-status.js'
import {SHELLS, runUnder} from './shells.js'

const TXID = '20260102T030405Z-0123abcd'
const OLDER = '20260101T000000Z-00000001'
const roots: string[] = []

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, {recursive: true, force: true})
})

/** A state directory with journals as transactions leave them; .sequence lists them in lock order. */
function stateDir(journals: Record<string, Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'fpmfix-journal-'))
  roots.push(root)
  mkdirSync(join(root, 'journal'))
  for (const [txid, files] of Object.entries(journals)) {
    mkdirSync(join(root, 'journal', txid))
    for (const [name, content] of Object.entries(files)) writeFileSync(join(root, 'journal', txid, name), content)
    appendFileSync(join(root, 'journal', '.sequence'), `${txid}\n`)
  }
  return root
}

async function status(shell: string[], root: string, env: Record<string, string> = {}) {
  const boundary = newBoundary()
  const program = hostProgram([...JOURNAL_LIBRARIES, 'protocol/journal-status.sh'], {B: boundary, STATE_DIR: root})
  const run = await runUnder(shell, program, {env})
  expect(run.stderr).toBe('')
  return parseJournalStatus(run.stdout, boundary)
}

const committed = {
  state: 'lock\ncheck\nbackup\nwrite\nvalidate\naction-0\nprobe\ncommitted\n',
  times: 'lock 10\ncheck 0\nbackup 20\nwrite 10\nvalidate 150\naction-0 1210\nprobe 40\n',
  result: `status=committed\ntxid=${OLDER}\n`,
  output: 'not shown for a success',
  log: 'not shown for a success',
}

describe.each(SHELLS.map((shell) => [shell.join(' '), shell]))('journal readers under %s', (_name, shell) => {
  it('report the latest transaction with its steps; a committed one needs no note', async () => {
    const journal = await status(shell, stateDir({[OLDER]: committed}))
    expect(journal.lock).toBeUndefined()
    expect(journal.latest).toMatchObject({txid: OLDER, found: true, alive: false, final: 'committed'})
    expect(journal.latest?.steps.map((step) => step.name)).toEqual([
      'lock',
      'check',
      'backup',
      'write',
      'validate',
      'action-0',
      'probe',
    ])
    expect(journal.latest?.log).toBeUndefined()
    expect(journalNotes(journal)).toEqual([])
  })

  it('read the status of a host whose last change committed without starting any program', async () => {
    const root = stateDir({
      [OLDER]: {state: committed.state, times: committed.times, result: committed.result, pid: '999999999\n'},
      [TXID]: {state: 'lock\nrefused-stale\n', result: 'status=refused-stale\nstale=0\n'},
    })
    mkdirSync(join(root, 'lock'))
    writeFileSync(join(root, 'lock', 'info'), `txid=${TXID}\npid=999999999\nowner=ops@laptop\nstarted=x\n`)
    const nothing = join(root, 'no-programs')
    mkdirSync(nothing)
    const journal = await status(shell, root, {PATH: nothing})
    expect(journal.lock).toMatchObject({txid: TXID, alive: false, owner: 'ops@laptop'})
    expect(journal.latest).toMatchObject({txid: OLDER, final: 'committed', alive: false})
    expect(journal.latest?.state).toHaveLength(8)
  })

  it('skip transactions that wrote nothing (stale, already applied) when picking the latest', async () => {
    const journal = await status(
      shell,
      stateDir({
        [OLDER]: committed,
        [TXID]: {state: 'lock\nalready-applied\n', times: 'lock 3\n', result: 'status=already-applied\n'},
        '20260103T000000Z-00000002': {state: 'lock\nrefused-stale\n', result: 'status=refused-stale\nstale=0\n'},
      }),
    )
    expect(journal.latest?.txid).toBe(OLDER)
    expect(journalNotes(journal)).toEqual([])
  })

  it('note a rollback with its failed step, keeping its output and log', async () => {
    const journal = await status(
      shell,
      stateDir({
        [TXID]: {
          state: 'lock\ncheck\nbackup\nwrite\nrollback\nrolled-back\n',
          result: `failed_step=validate\nstatus=rolled-back\ntxid=${TXID}\n`,
          output: '$ nginx -t\nnginx: [emerg] unknown directive "x"\n',
          log: '12:00:00 step validate failed: rolling back\n',
        },
      }),
    )
    expect(journal.latest).toMatchObject({
      final: 'rolled-back',
      output: '$ nginx -t\nnginx: [emerg] unknown directive "x"\n',
      log: '12:00:00 step validate failed: rolling back\n',
    })
    expect(journalNotes(journal)).toEqual([`the last fpmfix transaction (${TXID}) ended rolled-back at step validate`])
  })

  it('tell a dead unfinished transaction from one that has not written anything, ignoring a half-written line', async () => {
    const dead = await status(
      shell,
      stateDir({[TXID]: {state: 'lock\ncheck\nback', times: 'lock 3\nche', pid: '999999999\n'}}),
    )
    expect(dead.latest).toMatchObject({alive: false, state: ['lock', 'check'], steps: [{name: 'lock', ms: 3}]})
    expect(journalNotes(dead)).toEqual([
      `fpmfix transaction ${TXID} was interrupted; the next apply recovers it (rolls it back or commits it)`,
    ])
    const fresh = await status(shell, stateDir({[TXID]: {state: ''}}))
    expect(journalNotes(fresh)).toEqual([])
  })

  it('name the lock holder and whether its process lives', async () => {
    const root = stateDir({[OLDER]: committed})
    mkdirSync(join(root, 'lock'))
    writeFileSync(
      join(root, 'lock', 'info'),
      `txid=${TXID}\npid=999999999\nowner=ops@laptop\nstarted=2026-01-02T03:04:05Z\n`,
    )
    const journal = await status(shell, root)
    expect(journal.lock).toEqual({
      txid: TXID,
      pid: 999999999,
      owner: 'ops@laptop',
      started: '2026-01-02T03:04:05Z',
      alive: false,
    })
    expect(journalNotes(journal)).toEqual([
      `the host lock is held by transaction ${TXID} (ops@laptop, since 2026-01-02T03:04:05Z)`,
    ])
  })

  it('follow a transaction step by step as it writes them, then report it', async () => {
    const root = stateDir({[TXID]: {state: '', times: ''}})
    const dir = join(root, 'journal', TXID)
    // The transaction: a process whose command line names its tx.sh, as the runtime's is.
    writeFileSync(join(dir, 'tx.sh'), 'sleep 30\n')
    const tx = spawn('sh', [join(dir, 'tx.sh')], {stdio: 'ignore'})
    writeFileSync(join(dir, 'pid'), `${tx.pid}\n`)
    const boundary = newBoundary()
    const program = `${hostProgram(JOURNAL_LIBRARIES, {B: boundary})}\ntx_follow '${dir}' ${TXID} 0 20`
    const child = spawn(shell[0]!, [...shell.slice(1), '-c', program], {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    const waitForSteps = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          const steps = splitSections(stdout, boundary).sections.filter((s) => s.kind === 'step' && s.complete)
          if (steps.length >= count) resolve()
          else setTimeout(check, 20)
        }
        check()
      })
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    try {
      appendFileSync(join(dir, 'times'), 'lock 5\n')
      appendFileSync(join(dir, 'state'), 'lock\n')
      // Streamed while the transaction runs: check is not written yet.
      await waitForSteps(1)
      appendFileSync(join(dir, 'times'), 'check 7\nbac')
      await waitForSteps(2)
      appendFileSync(join(dir, 'times'), 'kup 9\n')
      appendFileSync(join(dir, 'state'), 'check\nbackup\nrefused-stale\n')
      writeFileSync(join(dir, 'result'), `stale=0\nstatus=refused-stale\ntxid=${TXID}\n`)
      writeFileSync(join(dir, 'manifest.json'), '{"checks":[]}')
      await new Promise((resolve) => child.once('close', resolve))
    } finally {
      tx.kill('SIGKILL')
      child.kill('SIGKILL')
    }
    const {sections} = splitSections(stdout, boundary)
    expect(sections.flatMap((section) => (section.kind === 'step' ? [parseStepSection(section)] : []))).toEqual([
      {number: 1, name: 'lock', ms: 5},
      {number: 2, name: 'check', ms: 7},
      {number: 3, name: 'backup', ms: 9},
    ])
    expect(findJournalReport(sections)).toMatchObject({final: 'refused-stale', manifest: '{"checks":[]}', alive: true})
  })

  it('report a transaction that has no journal', async () => {
    const boundary = newBoundary()
    const program = `${hostProgram(JOURNAL_LIBRARIES, {B: boundary})}\ntx_report /nonexistent/fpmfix/${TXID} ${TXID}`
    const run = await runUnder(shell, program)
    expect(findJournalReport(splitSections(run.stdout, boundary).sections)).toMatchObject({txid: TXID, found: false})
  })
})

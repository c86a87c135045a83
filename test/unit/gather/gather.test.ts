import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {gather} from '../../../src/gather/gather.js'
import {hostJournalNotes} from '../../../src/protocol/journal-status.js'
import type {ExecOptions, ExecResult, Transport} from '../../../src/transport/transport.js'

interface Call {
  command: string
  stdin: string
}

/** A transport that answers with whatever `reply` makes of the script it was sent. */
function scriptedTransport(reply: (script: string) => Partial<ExecResult>): Transport & {calls: Call[]} {
  const calls: Call[] = []
  return {
    kind: 'ssh',
    calls,
    async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      const stdin = String(options.stdin ?? '')
      calls.push({command, stdin})
      return {code: 0, signal: null, stdout: '', stderr: '', durationMs: 12, ...reply(stdin)}
    },
    async close(): Promise<void> {},
  }
}

function boundaryOf(script: string): string {
  return /^B=(\S+)$/m.exec(script)?.[1] ?? ''
}

function runLocally(script: string): string {
  return spawnSync('sh', ['-s'], {input: script, maxBuffer: 64 * 1024 * 1024}).stdout.toString('utf8')
}

describe('gather', () => {
  it('sends the whole script once on stdin with a fresh boundary per run', async () => {
    const transport = scriptedTransport((script) => ({stdout: runLocally(script)}))
    await gather(transport)
    await gather(transport)
    expect(transport.calls.map((call) => call.command)).toEqual(['sh -s', 'sh -s'])
    const [first, second] = transport.calls.map((call) => boundaryOf(call.stdin))
    expect(first).toMatch(/^FPMFIX[0-9a-f]{32}$/)
    expect(second).not.toBe(first)
  })

  it('fails with GATHER_FAILED and the stderr when the script printed nothing', async () => {
    const transport = scriptedTransport(() => ({code: 127, stderr: 'sh: 1: sh: not found\n'}))
    await expect(gather(transport, {host: 'web1'})).rejects.toMatchObject({
      code: 'GATHER_FAILED',
      host: 'web1',
      details: {code: 127, stderr: 'sh: 1: sh: not found\n'},
    })
  })

  it('keeps a cut-short run as partial facts with warnings about the cut, the exit and stderr', async () => {
    const transport = scriptedTransport((script) => {
      const stdout = runLocally(script)
      return {
        stdout: stdout.slice(0, stdout.indexOf(' BEGIN lstat ')),
        code: null,
        signal: 'SIGKILL',
        stderr: 'Killed\n',
      }
    })
    const snapshot = await gather(transport)
    expect(snapshot.complete).toBe(false)
    expect(snapshot.users.find((user) => user.uid === 0)?.name).toBe('root')
    expect(snapshot.processTable.length).toBeGreaterThan(0)
    // The batch that reads every path the collectors named comes last: cut before it, they are unread.
    expect(snapshot.memory.memTotalKb).toBeUndefined()
    expect(snapshot.warnings).toEqual(
      expect.arrayContaining(['gather stderr: Killed', 'the gather script exited with SIGKILL']),
    )
    expect(snapshot.durationMs).toBe(12)
  })

  it('reads the fpmfix journal in the same run: what plan notes about the last transaction', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fpmfix-gather-journal-'))
    const txid = '20260102T030405Z-0123abcd'
    try {
      mkdirSync(join(root, 'journal', txid), {recursive: true})
      writeFileSync(join(root, 'journal', '.sequence'), `${txid}\n`)
      const files = {
        state: 'lock\ncheck\nbackup\nwrite\nvalidate\nrollback\nrolled-back\n',
        result: `failed_step=validate\nstatus=rolled-back\ntxid=${txid}\n`,
        pid: '999999999\n',
      }
      for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'journal', txid, name), text)
      const transport = scriptedTransport((script) => ({stdout: runLocally(script)}))
      const snapshot = await gather(transport, {stateDir: root})
      expect(transport.calls).toHaveLength(1)
      expect(snapshot.journal).toEqual({
        latest: {
          txid,
          alive: false,
          state: files.state.trim().split('\n'),
          final: 'rolled-back',
          failedStep: 'validate',
        },
      })
      expect(hostJournalNotes(snapshot.journal!)).toEqual([
        `the last fpmfix transaction (${txid}) ended rolled-back at step validate`,
      ])
    } finally {
      rmSync(root, {recursive: true, force: true})
    }
  })
})

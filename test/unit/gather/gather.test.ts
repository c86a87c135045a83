import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {gather} from '../../../src/gather/gather.js'
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
})

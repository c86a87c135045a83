import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {silentListener} from '../../lab/support/net-fixtures.js'
import {startCli} from '../../lab/support/apply-cli-helpers.js'
import {REPO_ROOT, runCli, type CliRun} from '../../lab/support/run-cli.js'
import {schemaProblems} from '../../support/json-schemas.js'
import {generateKeyPair, startFakeSshd} from '../transport/ssh/support/fake-sshd.js'

/** The newest modification time under a directory. */
function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, {withFileTypes: true}).map((entry) =>
      entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
    ),
  )
}

/** bin/run.js runs dist/: build it when a source file is newer (npm test has just built it). */
function ensureBuilt(): void {
  let built = 0
  try {
    built = statSync(join(REPO_ROOT, 'dist', 'commands.js')).mtimeMs
  } catch {
    // Not built yet.
  }
  if (built < newest(join(REPO_ROOT, 'src'))) execFileSync('npm', ['run', 'build'], {cwd: REPO_ROOT})
}

const stderrLines = (run: CliRun): string[] => run.stderr.trimEnd().split('\n')
const COMMANDS = ['plan', 'apply', 'show', 'facts', 'rollback']

let scratch: string
beforeAll(() => {
  ensureBuilt()
  scratch = mkdtempSync(join(tmpdir(), 'fpmfix-cli-'))
}, 180_000)
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

describe('usage errors: one line, one pointer at --help, exit 64', () => {
  it('an unknown command, with the nearest one', async () => {
    const run = await runCli(['plna', 'web1'])
    expect(run.code).toBe(64)
    expect(run.stdout).toBe('')
    expect(stderrLines(run)).toEqual([
      'Error [USAGE] unknown command "plna"',
      `  hint: Did you mean "fpmfix plan"? Run 'fpmfix --help' for the commands.`,
    ])
    const json = await runCli<{error: {code: string; exit: number}}>(['plna', '--json'])
    expect(json.code).toBe(64)
    expect(json.json?.error).toMatchObject({code: 'USAGE', exit: 64})
  })

  it('an unknown flag, with the nearest one, and no help text', async () => {
    const run = await runCli(['plan', '--limt', 'web'])
    expect(run.code).toBe(64)
    expect(run.stdout).toBe('')
    expect(stderrLines(run)).toEqual([
      'Error [USAGE] Nonexistent flag: --limt',
      `  hint: Did you mean --limit? Run 'fpmfix plan --help' for the flags and arguments.`,
    ])
  })

  it('under --json, a JSON error document with a code on stdout (even before the flags are parsed)', async () => {
    const run = await runCli<Record<string, unknown>>(['apply', '--bogus', '--json'])
    expect(run.code).toBe(64)
    expect(run.json).toMatchObject({formatVersion: 1, error: {code: 'USAGE', exit: 64}})
    expect(schemaProblems('apply', run.json, {closedObjects: true})).toEqual([])
  })

  it('a flag value out of range', async () => {
    const run = await runCli(['facts', '--forks', '0'])
    expect(run.code).toBe(64)
    expect(stderrLines(run)).toHaveLength(2)
  })
})

describe('apply: an argument that looks like a file is a plan file, never a target', () => {
  it.each([
    ['nope.plan', 'plan file nope.plan not found'],
    ['plans/web.json', 'plan file plans/web.json not found'],
    ['./web1', 'plan file ./web1 not found'],
  ])('%s', async (argument, message) => {
    const run = await runCli(['apply', argument])
    expect(run.code).toBe(65)
    expect(run.stderr).toContain(`[PLAN_FILE_NOT_FOUND] ${message}`)
    expect(run.stderr).not.toContain('NOT_A_TTY')
  })

  it('a directory', async () => {
    const run = await runCli<Record<string, unknown>>(['apply', scratch, '--json'])
    expect(run.code).toBe(65)
    expect(run.json).toMatchObject({
      error: {code: 'PLAN_FILE_NOT_FOUND', message: `${scratch} is a directory, not a plan file`},
    })
  })

  it('a plan file followed by targets', async () => {
    const file = join(scratch, 'empty.plan')
    writeFileSync(file, '{}')
    const run = await runCli(['apply', file, 'web1'])
    expect(run.code).toBe(64)
    expect(run.stderr).toContain(`apply ${file} takes no targets, got: web1`)
  })
})

describe('help, version, autocomplete', () => {
  it.each([80, 120])(
    'help of every command fits %i columns, its flags in aligned columns',
    async (columns) => {
      for (const command of COMMANDS) {
        for (const args of [
          [command, '--help'],
          ['help', command],
        ]) {
          const run = await runCli(args, {env: {OCLIF_COLUMNS: String(columns)}})
          expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0)
          const lines = run.stdout.split('\n')
          for (const line of lines) expect(line.length, `${args.join(' ')}: ${line}`).toBeLessThanOrEqual(columns)
          // Usage lines keep each [bracketed] part whole.
          const usage = lines.slice(lines.indexOf('USAGE') + 1, lines.indexOf('', lines.indexOf('USAGE')))
          for (const line of usage) expect(line.split('[').length, line).toBe(line.split(']').length)
          for (const section of flagSections(lines)) {
            const starts = section.map((row) => descriptionColumn(row))
            expect(new Set(starts).size, `${args.join(' ')}:\n${section.join('\n')}`).toBe(1)
          }
        }
      }
    },
    60_000,
  )

  it('version and autocomplete come from oclif’s plugins', async () => {
    const version = await runCli(['version'])
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^fpmfix\/\d+\.\d+\.\d+ /)
    const autocomplete = await runCli(['autocomplete', 'bash'])
    expect(autocomplete.code, autocomplete.stderr).toBe(0)
    expect(autocomplete.stdout).toContain('fpmfix')
  })
})

/** Rows of each FLAGS section that start a flag (not continuation lines). */
function flagSections(lines: string[]): string[][] {
  const sections: string[][] = []
  let current: string[] | undefined
  for (const line of lines) {
    if (/^[A-Z ]*FLAGS$/.test(line)) sections.push((current = []))
    else if (line === '' || /^[A-Z]/.test(line)) current = undefined
    else if (current !== undefined && /^ {2}(-\w, --|\s{4}--|--)/.test(line)) current.push(line)
  }
  return sections
}

/** Where a flag row's description starts: after the label and at least two spaces. */
function descriptionColumn(row: string): number {
  const match = /^( {2}\S.*?\S)( {2,})\S/.exec(row) ?? /^( {6}\S.*?\S)( {2,})\S/.exec(row)
  return match === null ? -1 : match[1]!.length + match[2]!.length
}

describe('environment instead of repeated flags', () => {
  it('FPMFIX_KNOWN_HOSTS and FPMFIX_PRIVATE_KEY reach a host with no connection flag', async () => {
    const client = generateKeyPair()
    const server = await startFakeSshd({authorizedKeys: [client.public]})
    try {
      const keyFile = join(scratch, 'id_ed25519')
      writeFileSync(keyFile, client.private, {mode: 0o600})
      const knownHosts = join(scratch, 'known_hosts')
      writeFileSync(knownHosts, `[127.0.0.1]:${server.port} ${server.hostPublicKeys[0]}\n`)
      const args = ['facts', `deploy@127.0.0.1:${server.port}`, '--json']

      const bare = await runCli<{hosts: Array<{error?: {code: string}}>}>(args)
      expect(bare.json?.hosts[0]?.error?.code).toBe('SSH_HOSTKEY_UNKNOWN')

      const withEnv = await runCli<{hosts: Array<{error?: {code: string}}>}>(args, {
        env: {FPMFIX_KNOWN_HOSTS: knownHosts, FPMFIX_PRIVATE_KEY: keyFile},
      })
      // Logged in: the fake server answers the gather with nonsense, which is the gather's problem, not SSH's.
      expect(server.events.auth.at(-1)).toEqual({user: 'deploy', method: 'publickey'})
      expect(server.events.exec.length).toBeGreaterThan(0)
      expect(withEnv.json?.hosts[0]?.error?.code ?? 'ok').not.toMatch(/^SSH_/)
    } finally {
      await server.close()
    }
  })
})

describe('Ctrl-C', () => {
  it('exits 130 and says no host was changed while planning', async () => {
    const silent = await silentListener()
    try {
      const running = await startCli(['plan', `root@127.0.0.1:${silent.port}`, '--connect-timeout', '120'])
      // The client is now waiting on the host's SSH banner: interrupt it there.
      for (let waited = 0; silent.accepted === 0 && waited < 30_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(silent.accepted).toBe(1)
      running.child.kill('SIGINT')
      const done = await running.done
      expect(done.code).toBe(130)
      expect(done.stderr).toContain('Interrupted; no host was changed by this command.')
    } finally {
      await silent.close()
    }
  })
})

describe('real command output on this machine', () => {
  it('plan --json matches the published schema field for field; piped progress names the host', async () => {
    const json = await runCli<Record<string, unknown>>(['plan', '--json'], {timeoutMs: 120_000})
    expect([0, 3], json.stderr).toContain(json.code)
    expect(schemaProblems('plan', json.json, {closedObjects: true})).toEqual([])

    const text = await runCli(['plan'], {timeoutMs: 120_000})
    const progress = stderrLines(text).filter((line) => line.startsWith('›'))
    expect(progress.length).toBeGreaterThan(0)
    for (const line of progress) expect(line).toMatch(/^› localhost: /)
  }, 150_000)
})

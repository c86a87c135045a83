import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {splitSections} from '../../../src/protocol/frames.js'
import {hostProgram} from '../../../src/protocol/host-program.js'
import {
  STATE_LIBRARIES,
  canonicalState,
  parseStateKey,
  stateFingerprintSha256,
} from '../../../src/protocol/state-keys.js'
import {sha256} from '../apply/support.js'
import {SHELLS, runUnder} from './shells.js'

const isRoot = process.getuid?.() === 0
// No digits in the directory: the version digits of a binary's path are part of the rule under test.
const dir = join(
  tmpdir(),
  `fpmfix-proc-${Math.random()
    .toString(36)
    .replace(/[^a-z]/g, '')}`,
)
const children: ChildProcess[] = []

/** A process that looks like a service master: its own binary (a copy of sleep) and the master's title. */
function fakeMaster(binaryName: string, title: string): ChildProcess {
  const binary = join(dir, binaryName)
  copyFileSync(spawnSync('sh', ['-c', 'command -v sleep']).stdout.toString().trim(), binary)
  const child = spawn(binary, ['60'], {argv0: title, stdio: 'ignore'})
  children.push(child)
  return child
}

const BOUNDARY = 'FPMFIX0123456789abcdef0'

function stateLine(shell: string[], key: string, extra = ''): Promise<string> {
  const program = hostProgram(STATE_LIBRARIES, {B: BOUNDARY})
  return runUnder(shell, `${program}\n${extra}\nstate_line '${key}'`).then((run) => run.stdout)
}

function which(program: string): string {
  return spawnSync('sh', ['-c', `command -v ${program}`])
    .stdout.toString()
    .trim()
}

/** A directory whose only program is `program`, logging each call: a PATH under which nothing else can start. */
function only(program: string, name: string): {bin: string; calls: () => string[]} {
  const bin = join(dir, name)
  const log = join(bin, 'calls')
  mkdirSync(bin)
  writeFileSync(join(bin, program), `#!${which('sh')}\necho ${program} >> '${log}'\nexec ${which(program)} "$@"\n`)
  chmodSync(join(bin, program), 0o755)
  return {bin, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean)}
}

beforeAll(() => mkdirSync(dir, {recursive: true}))
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe.each(SHELLS.map((shell) => [shell.join(' '), shell]))('state_line under %s', (_name, shell) => {
  it('prints a socket as type, owner, group, mode and inode, or absent', async () => {
    const path = join(dir, `php fpm's-${shell[0]}.sock`)
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(path, resolve))
    try {
      const stat = statSync(path)
      const group = spawnSync('id', ['-gn']).stdout.toString().trim()
      const quoted = path.replaceAll("'", `'\\''`)
      expect(await stateLine(shell, `socket:${quoted}`)).toBe(
        `socket ${userInfo().username} ${group} ${(stat.mode & 0o7777).toString(8)} ${stat.ino}\n`,
      )
      expect(await stateLine(shell, `socket:${join(dir, 'missing.sock')}`)).toBe('absent\n')
    } finally {
      server.close()
    }
  })

  it('finds a php-fpm master by the version digits of its binary, or by the binary itself', async () => {
    const master = fakeMaster(`php-fpm9.7-${shell[0]}`, 'php-fpm: master process (/etc/php/9.7/fpm/php-fpm.conf)')
    const worker = fakeMaster(`php-fpm9.7-${shell[0]}-w`, 'php-fpm: pool www')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await stateLine(shell, 'service:php9.7-fpm')).toBe(`running ${master.pid}\n`)
    expect(await stateLine(shell, 'service:php9.6-fpm')).toBe('stopped\n')
    const byBinary = (binary: string) =>
      runUnder(shell, `${hostProgram(STATE_LIBRARIES)}\nservice_masters fpm php9.7-fpm '${binary}'`)
    expect((await byBinary(join(dir, `php-fpm9.7-${shell[0]}`))).stdout).toBe(`${master.pid}\n`)
    expect((await byBinary('/usr/sbin/php-fpm9.7')).stdout).toBe('\n')
    expect(worker.pid).toBeDefined()
  })

  it('reads many keys at once as it reads each alone, starting no program but one stat', async () => {
    const socket = join(dir, `many-${shell[0]}.sock`)
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(socket, resolve))
    const master = fakeMaster(`php-fpm9.4-${shell[0]}`, 'php-fpm: master process (/etc/php/9.4/fpm/php-fpm.conf)')
    fakeMaster(`nginx-many-${shell[0]}`, 'nginx: master process /usr/sbin/nginx')
    // An upgrade replaced the binary under the running master: its link now ends in " (deleted)".
    await new Promise((resolve) => setTimeout(resolve, 100))
    unlinkSync(join(dir, `php-fpm9.4-${shell[0]}`))
    const keys = [
      `socket:${socket}`,
      'service:php9.4-fpm',
      `socket:${join(dir, 'missing.sock')}`,
      'port:9000',
      'service:nginx',
      '',
      `socket:${socket}`,
      'service:php9.3-fpm',
    ]
    try {
      const {bin, calls} = only('stat', `only-stat-${shell[0]}`)
      const program = `${hostProgram(STATE_LIBRARIES, {B: BOUNDARY})}\nstate_report '${keys.join('\n')}'`
      const run = await runUnder(shell, program, {env: {PATH: bin}})
      expect(run.stderr).toBe('unknown state key: port:9000\n')
      expect(calls()).toEqual(['stat'])
      const sections = splitSections(run.stdout, BOUNDARY).sections
      const asked = keys.filter((key) => key !== '')
      expect(sections.map((section) => [section.tag, section.arg, section.status])).toEqual(
        asked.map((key, index) => [String(index), key, key === 'port:9000' ? 1 : 0]),
      )
      for (const [index, key] of asked.entries()) {
        const alone = key === 'port:9000' ? '' : await stateLine(shell, key)
        expect(sections[index]?.content).toBe(alone)
      }
      expect(sections[1]?.content).toBe(`running ${master.pid}\n`)
      expect(sections[2]?.content).toBe('absent\n')
      // Without stat, the masters' binaries are read with readlink (and no socket can be seen).
      const noStat = only('readlink', `no-stat-${shell[0]}`)
      const without = await runUnder(shell, program, {env: {PATH: noStat.bin}})
      const lines = splitSections(without.stdout, BOUNDARY).sections.map((section) => section.content)
      expect(lines[1]).toBe(`running ${master.pid}\n`)
      expect(lines[0]).toBe('absent\n')
    } finally {
      server.close()
    }
  })

  it('counts nginx masters, not workers', async () => {
    const master = fakeMaster(`nginx-${shell[0]}`, 'nginx: master process /usr/sbin/nginx -g daemon off;')
    fakeMaster(`nginx-${shell[0]}-w`, 'nginx: worker process')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const line = await stateLine(shell, 'service:nginx')
    expect(line).toMatch(/^running( \d+)+\n$/)
    expect(line.trim().split(' ').slice(1)).toContain(String(master.pid))
  })
})

describe.skipIf(!isRoot)('service masters in another mount namespace', () => {
  it('are not this host’s service', async () => {
    const binary = join(dir, 'php-fpm9.5')
    copyFileSync(spawnSync('sh', ['-c', 'command -v sleep']).stdout.toString().trim(), binary)
    const script = `exec -a 'php-fpm: master process (/etc/php/9.5/fpm/php-fpm.conf)' '${binary}' 60`
    const contained = spawn('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], {stdio: 'ignore'})
    children.push(contained)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const line = await stateLine(SHELLS[0]!, 'service:php9.5-fpm')
    expect(line).toBe('stopped\n')
    const here = fakeMaster('php-fpm9.5-here', 'php-fpm: master process (/etc/php/9.5/fpm/php-fpm.conf)')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await stateLine(SHELLS[0]!, 'service:php9.5-fpm')).toBe(`running ${here.pid}\n`)
  })
})

describe('state keys', () => {
  it('hashes exactly what sh $(…) keeps of the output', () => {
    expect(canonicalState('socket:/run/a.sock', 'socket www-data www-data 660 12\n\n')).toBe(
      'socket www-data www-data 660 12',
    )
    expect(stateFingerprintSha256('service:nginx', 'running 81\n')).toBe(sha256('running 81'))
    const fromSh = spawnSync('dash', ['-c', "printf '%s' \"$(printf 'running 81\\n\\n')\" | sha256sum"])
      .stdout.toString()
      .split(' ')[0]
    expect(stateFingerprintSha256('service:nginx', 'running 81\n\n')).toBe(fromSh)
  })

  it('rejects keys it cannot read', () => {
    expect(() => parseStateKey('socket:relative.sock')).toThrow(/absolute path/)
    expect(() => parseStateKey('service:php-fpm; reboot')).toThrow(/invalid service name/)
    expect(() => parseStateKey('port:9000')).toThrow(/unknown state fingerprint key/)
  })
})
